// SPDX-License-Identifier: MIT
// Naive references for the nn-op tests (prelu, dice, batch norm): plain loops over doubles,
// independent of kernels/ and Eigen, plus the per-dtype tolerances those tests use.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/dtype.h"

namespace dien::test::nn {

// rtol/atol for comparing a kernel's output in `dt` against a double reference.
inline double rtol_for(DType dt) { return dt == DType::F32 ? 1e-5 : 1e-12; }
inline double atol_for(DType dt) { return dt == DType::F32 ? 1e-6 : 1e-13; }

// Batch norm of x [N, C] (row-major) by the textbook formulas.
struct BatchNormRef {
  std::vector<double> y, mean, invstd, running_mean, running_var;
};
inline BatchNormRef batch_norm_ref(const std::vector<double>& x, int64_t N, int64_t C,
                                   const std::vector<double>* gamma, const std::vector<double>* beta,
                                   std::vector<double> running_mean, std::vector<double> running_var,
                                   bool training, double momentum, double eps) {
  BatchNormRef r;
  r.mean.assign(C, 0.0);
  r.invstd.assign(C, 0.0);
  r.y.assign(N * C, 0.0);
  for (int64_t c = 0; c < C; ++c) {
    double m, v;
    if (training) {
      double s = 0;
      for (int64_t n = 0; n < N; ++n) s += x[n * C + c];
      m = s / N;
      double ss = 0;
      for (int64_t n = 0; n < N; ++n) ss += (x[n * C + c] - m) * (x[n * C + c] - m);
      v = ss / N;
      if (!running_mean.empty()) {
        running_mean[c] = (1 - momentum) * running_mean[c] + momentum * m;
        running_var[c] = (1 - momentum) * running_var[c] + momentum * ss / (N - 1);
      }
    } else {
      m = running_mean[c];
      v = running_var[c];
    }
    r.mean[c] = m;
    r.invstd[c] = 1.0 / std::sqrt(v + eps);
    for (int64_t n = 0; n < N; ++n) {
      double xhat = (x[n * C + c] - m) / std::sqrt(v + eps);
      r.y[n * C + c] = xhat * (gamma ? (*gamma)[c] : 1.0) + (beta ? (*beta)[c] : 0.0);
    }
  }
  r.running_mean = running_mean;
  r.running_var = running_var;
  return r;
}

}  // namespace dien::test::nn
