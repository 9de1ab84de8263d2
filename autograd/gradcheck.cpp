// SPDX-License-Identifier: MIT
#include "autograd/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"

namespace dien {

std::string GradcheckResult::summary() const {
  std::ostringstream os;
  os << (ok ? "gradcheck passed" : "gradcheck FAILED");
  for (const auto& r : inputs)
    os << "\n  input " << r.index << ": max_abs=" << r.max_abs << " max_rel=" << r.max_rel
       << " (output " << r.worst_out << ", element " << r.worst_in << ": analytic " << r.analytic
       << " vs numeric " << r.numeric << ")";
  return os.str();
}

GradcheckResult gradcheck(const std::function<Tensor(const TensorList&)>& fn, const TensorList& inputs,
                          const GradcheckOptions& opt) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    if (!t.defined() || !t.requires_grad()) continue;
    if (t.dtype() != DType::F64 || !t.device().is_cpu() || !t.is_leaf())
      fail("gradcheck", "input ", i, " must be an f64 CPU leaf tensor, got ", t.describe());
  }
  auto eval = [&]() {
    NoGradGuard ng;
    Tensor y = fn(inputs);
    if (y.dtype() != DType::F64) fail("gradcheck", "the function must return f64, got ", y.describe());
    return y.to_vector<double>();
  };
  const std::vector<double> y0 = eval();
  const int64_t m = static_cast<int64_t>(y0.size());

  GradcheckResult res;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor x = inputs[i];
    if (!x.defined() || !x.requires_grad()) continue;
    const int64_t n = x.numel();
    // Analytic Jacobian, row by row: J[j, :] = d y_j / d x.
    std::vector<double> ja(static_cast<size_t>(m * n), 0.0);
    for (int64_t j = 0; j < m; ++j) {
      for (const auto& t : inputs)
        if (t.defined()) Tensor(t).zero_grad();
      Tensor y = fn(inputs);
      if (!y.requires_grad()) break;  // no path from the inputs: analytic Jacobian is 0
      std::vector<double> onehot(static_cast<size_t>(m), 0.0);
      onehot[j] = 1.0;
      y.backward(from_vector(onehot, y.shape()));
      Tensor g = x.grad();
      if (g.defined()) {
        auto gv = g.to_vector<double>();
        std::copy(gv.begin(), gv.end(), ja.begin() + j * n);
      }
    }
    for (const auto& t : inputs)
      if (t.defined()) Tensor(t).zero_grad();
    // Numeric Jacobian, column by column.
    double* xp = x.data<double>();
    GradcheckInput r;
    r.index = static_cast<int>(i);
    for (int64_t k = 0; k < n; ++k) {
      const double orig = xp[k], h = opt.eps;
      auto at = [&](double dx) {
        xp[k] = orig + dx;
        return eval();
      };
      std::vector<double> col(static_cast<size_t>(m));
      if (opt.five_point) {
        auto p1 = at(h), m1 = at(-h), p2 = at(2 * h), m2 = at(-2 * h);
        for (int64_t j = 0; j < m; ++j) col[j] = (8 * (p1[j] - m1[j]) - (p2[j] - m2[j])) / (12 * h);
      } else {
        auto p1 = at(h), m1 = at(-h);
        for (int64_t j = 0; j < m; ++j) col[j] = (p1[j] - m1[j]) / (2 * h);
      }
      xp[k] = orig;
      for (int64_t j = 0; j < m; ++j) {
        double a = ja[j * n + k], nu = col[j];
        double abs_err = std::fabs(a - nu);
        double rel = abs_err / std::max({std::fabs(a), std::fabs(nu), opt.rel_floor});
        if (!std::isfinite(a) || !std::isfinite(nu)) rel = abs_err = INFINITY;
        r.max_abs = std::max(r.max_abs, abs_err);
        if (rel > r.max_rel || r.worst_out < 0) {
          r.max_rel = rel;
          r.worst_out = j;
          r.worst_in = k;
          r.analytic = a;
          r.numeric = nu;
        }
      }
    }
    if (!(r.max_rel < opt.tol)) res.ok = false;
    res.inputs.push_back(r);
  }
  if (res.inputs.empty()) fail("gradcheck", "no input requires grad");
  return res;
}

}  // namespace dien
