// SPDX-License-Identifier: MIT
// CPU batch normalisation over the rows of x [N, C] (per-channel statistics), forward and
// backward side by side. Statistics and gradient sums are accumulated in double for f32 too.
// PyTorch semantics: training normalises with the biased batch variance and updates the
// running variance with the unbiased one; eval normalises with the running statistics.
#include <cmath>
#include <vector>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/cpu_util.h"

namespace dien::cpu {

namespace {

// Per-channel mean and biased variance of x [N, C] (two passes, in double).
template <class T>
void batch_stats(const T* x, int64_t N, int64_t C, std::vector<double>& mean, std::vector<double>& var) {
  mean.assign(static_cast<size_t>(C), 0.0);
  var.assign(static_cast<size_t>(C), 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) mean[c] += x[n * C + c];
  for (int64_t c = 0; c < C; ++c) mean[c] /= static_cast<double>(N);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      double d = x[n * C + c] - mean[c];
      var[c] += d * d;
    }
  for (int64_t c = 0; c < C; ++c) var[c] /= static_cast<double>(N);
}

// x, y [N, C]; gamma, beta, running_*, save_* [C].
template <class T>
void bn_forward(const T* x, const T* gamma, const T* beta, T* rmean, T* rvar, bool training, double momentum,
                double eps, T* y, T* save_mean, T* save_invstd, int64_t N, int64_t C) {
  std::vector<double> mean, var;
  if (training) {
    batch_stats(x, N, C, mean, var);
    // running = (1 - momentum) running + momentum batch; the variance term is unbiased.
    double unbias = N > 1 ? static_cast<double>(N) / static_cast<double>(N - 1) : 1.0;
    for (int64_t c = 0; c < C; ++c) {
      if (rmean) rmean[c] = static_cast<T>((1.0 - momentum) * rmean[c] + momentum * mean[c]);
      if (rvar) rvar[c] = static_cast<T>((1.0 - momentum) * rvar[c] + momentum * var[c] * unbias);
    }
  } else {
    mean.resize(static_cast<size_t>(C));
    var.resize(static_cast<size_t>(C));
    for (int64_t c = 0; c < C; ++c) {
      mean[c] = rmean[c];
      var[c] = rvar[c];
    }
  }
  std::vector<double> scale(static_cast<size_t>(C)), shift(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    double invstd = 1.0 / std::sqrt(var[c] + eps);
    save_mean[c] = static_cast<T>(mean[c]);
    save_invstd[c] = static_cast<T>(invstd);
    // y = (x - mean) * invstd * gamma + beta = x * scale + shift.
    double g = gamma ? static_cast<double>(gamma[c]) : 1.0, b = beta ? static_cast<double>(beta[c]) : 0.0;
    scale[c] = invstd * g;
    shift[c] = b - mean[c] * invstd * g;
  }
  parallel_for(N, kParallelGrain / (C > 0 ? C : 1) + 1, [&](int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; ++n)
      for (int64_t c = 0; c < C; ++c) y[n * C + c] = static_cast<T>(x[n * C + c] * scale[c] + shift[c]);
  });
}

// xhat = (x - mean) * invstd. gbeta = sum_n gy; ggamma = sum_n gy * xhat.
// Eval: gx = gy * gamma * invstd. Training (mean, invstd depend on x):
// gx = gamma * invstd / N * (N gy - sum_n gy - xhat * sum_n gy xhat).
template <class T>
void bn_backward(const T* x, const T* gamma, const T* save_mean, const T* save_invstd, const T* gy, bool training,
                 T* gx, T* ggamma, T* gbeta, int64_t N, int64_t C) {
  std::vector<double> sum_gy(static_cast<size_t>(C), 0.0), sum_gy_xhat(static_cast<size_t>(C), 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      double g = gy[n * C + c], xhat = (x[n * C + c] - static_cast<double>(save_mean[c])) * save_invstd[c];
      sum_gy[c] += g;
      sum_gy_xhat[c] += g * xhat;
    }
  for (int64_t c = 0; c < C; ++c) {
    if (gbeta) gbeta[c] = static_cast<T>(sum_gy[c]);
    if (ggamma) ggamma[c] = static_cast<T>(sum_gy_xhat[c]);
  }
  if (!gx) return;
  const double inv_n = 1.0 / static_cast<double>(N);
  parallel_for(N, kParallelGrain / (C > 0 ? C : 1) + 1, [&](int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; ++n)
      for (int64_t c = 0; c < C; ++c) {
        int64_t i = n * C + c;
        double k = (gamma ? static_cast<double>(gamma[c]) : 1.0) * save_invstd[c];
        if (!training) {
          gx[i] = static_cast<T>(gy[i] * k);
        } else {
          double xhat = (x[i] - static_cast<double>(save_mean[c])) * save_invstd[c];
          gx[i] = static_cast<T>(k * (gy[i] - inv_n * sum_gy[c] - xhat * inv_n * sum_gy_xhat[c]));
        }
      }
  });
}


}  // namespace

// x, y [N, C]; gamma, beta, running_mean, running_var, save_mean, save_invstd [C].
void CpuBackend::batch_norm_forward(const Tensor& x, const Tensor* gamma, const Tensor* beta, Tensor* running_mean,
                                    Tensor* running_var, bool training, double momentum, double eps, Tensor& y,
                                    Tensor& save_mean, Tensor& save_invstd) {
  dispatch_float(x.dtype(), "batch_norm_forward", [&](auto tag) {
    using T = decltype(tag);
    bn_forward<T>(x.data<T>(), nullable_data<T>(gamma), nullable_data<T>(beta), nullable_data<T>(running_mean), nullable_data<T>(running_var),
                  training, momentum, eps, y.data<T>(), save_mean.data<T>(), save_invstd.data<T>(), x.shape()[0],
                  x.shape()[1]);
  });
}

// x, gy, gx [N, C]; gamma, save_*, ggamma, gbeta [C]. Overwrites gx, ggamma, gbeta (each may be null).
void CpuBackend::batch_norm_backward(const Tensor& x, const Tensor* gamma, const Tensor& save_mean,
                                     const Tensor& save_invstd, const Tensor& gy, bool training, Tensor* gx,
                                     Tensor* ggamma, Tensor* gbeta) {
  dispatch_float(x.dtype(), "batch_norm_backward", [&](auto tag) {
    using T = decltype(tag);
    bn_backward<T>(x.data<T>(), nullable_data<T>(gamma), save_mean.data<T>(), save_invstd.data<T>(), gy.data<T>(), training,
                   nullable_data<T>(gx), nullable_data<T>(ggamma), nullable_data<T>(gbeta), x.shape()[0], x.shape()[1]);
  });
}

}  // namespace dien::cpu
