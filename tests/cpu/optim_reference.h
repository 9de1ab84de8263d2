// SPDX-License-Identifier: MIT
// Naive double-precision references of the optimizer update rules (formulas as in the
// torch.optim docs), shared by tests/cpu/test_optim.cpp and test_optim_lazy.cpp. Each test file
// keeps its own SGD reference (the lazy one skips momentum state when momentum is 0).
#pragma once
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace dien::test::optim_ref {

using Vec = std::vector<double>;
using Bufs = std::map<std::string, Vec>;  // named like the optimizer's state entries
// t is the 1-based step of this parameter.
using RefUpdate = std::function<void(Vec& p, const Vec& g, Bufs& bufs, int t)>;

inline RefUpdate ref_adam(double lr, double b1, double b2, double eps, double wd) {
  return [=](Vec& p, const Vec& g, Bufs& bufs, int t) {
    Vec& m = bufs["exp_avg"];
    Vec& v = bufs["exp_avg_sq"];
    if (m.empty()) m.assign(p.size(), 0), v.assign(p.size(), 0);
    for (size_t i = 0; i < p.size(); ++i) {
      double gi = g[i] + wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      double mhat = m[i] / (1 - std::pow(b1, t));
      double vhat = v[i] / (1 - std::pow(b2, t));
      p[i] -= lr * mhat / (std::sqrt(vhat) + eps);
    }
  };
}

inline RefUpdate ref_adagrad(double lr, double lr_decay, double eps, double wd) {
  return [=](Vec& p, const Vec& g, Bufs& bufs, int t) {
    Vec& s = bufs["sum"];
    if (s.empty()) s.assign(p.size(), 0);
    double clr = lr / (1 + (t - 1) * lr_decay);
    for (size_t i = 0; i < p.size(); ++i) {
      double gi = g[i] + wd * p[i];
      s[i] += gi * gi;
      p[i] -= clr * gi / (std::sqrt(s[i]) + eps);
    }
  };
}

inline RefUpdate ref_rmsprop(double lr, double alpha, double eps, double momentum, double wd) {
  return [=](Vec& p, const Vec& g, Bufs& bufs, int) {
    Vec& a = bufs["square_avg"];
    if (a.empty()) a.assign(p.size(), 0);
    Vec* buf = nullptr;
    if (momentum > 0) {
      buf = &bufs["momentum_buffer"];
      if (buf->empty()) buf->assign(p.size(), 0);
    }
    for (size_t i = 0; i < p.size(); ++i) {
      double gi = g[i] + wd * p[i];
      a[i] = alpha * a[i] + (1 - alpha) * gi * gi;
      double avg = std::sqrt(a[i]) + eps;
      if (buf) {
        (*buf)[i] = momentum * (*buf)[i] + gi / avg;
        p[i] -= lr * (*buf)[i];
      } else {
        p[i] -= lr * gi / avg;
      }
    }
  };
}

}  // namespace dien::test::optim_ref
