// SPDX-License-Identifier: MIT
// CUDA batch normalisation over the rows of x [N, C] (per-channel statistics), forward and
// backward side by side. Twin of kernels/cpu/batch_norm.cpp: statistics and gradient sums in
// double for f32 too (column_sum.cuh, fixed summation order), PyTorch semantics (training
// normalises with the biased batch variance and updates the running variance with the unbiased
// one; eval normalises with the running statistics). gamma/beta/running stats/gradient outputs
// may each be null exactly where the CPU allows it.
//
// Forward, training: column sums of x -> mean; column sums of (x - mean)^2 -> var; one thread
// per channel updates the running stats and writes save_mean, save_invstd and the per-channel
// scale/shift; then y = x * scale + shift elementwise. Eval skips the two sums.
// Backward: column sums of gy and of gy * xhat; one thread per channel writes gbeta/ggamma;
// then gx elementwise.
#include <cmath>

#include "kernels/cuda/column_sum.cuh"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

namespace {

// ---- summands (f(r, c) for column_partials) -------------------------------------

// x[r, c] in double.
template <class T>
struct XTerm {
  const T* x;
  int64_t C;
  __device__ double operator()(int64_t r, int64_t c) const { return static_cast<double>(x[r * C + c]); }
};

// (x[r, c] - mean[c])^2, mean in double (the CPU's second pass).
template <class T>
struct SquaredDeviationTerm {
  const T* x;
  const double* mean;
  int64_t C;
  __device__ double operator()(int64_t r, int64_t c) const {
    const double d = static_cast<double>(x[r * C + c]) - mean[c];
    return d * d;
  }
};

// gy[r, c] in double.
template <class T>
struct GyTerm {
  const T* gy;
  int64_t C;
  __device__ double operator()(int64_t r, int64_t c) const { return static_cast<double>(gy[r * C + c]); }
};

// gy * xhat with xhat = (x - save_mean[c]) * save_invstd[c], save_* read as T then widened, as
// the CPU does.
template <class T>
struct GyXhatTerm {
  const T* x;
  const T* gy;
  const T* save_mean;
  const T* save_invstd;
  int64_t C;
  __device__ double operator()(int64_t r, int64_t c) const {
    const int64_t i = r * C + c;
    const double xhat =
        (static_cast<double>(x[i]) - static_cast<double>(save_mean[c])) * static_cast<double>(save_invstd[c]);
    return static_cast<double>(gy[i]) * xhat;
  }
};

// ---- per-channel kernels (one thread per channel) --------------------------------

// out [C] = column total / N (the mean of the summed quantity).
__global__ void column_mean_kernel(const double* partial, ColumnPlan p, double N, double* out) {
  for (int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; c < p.C;
       c += static_cast<int64_t>(blockDim.x) * gridDim.x)
    out[c] = column_total(partial, p, c) / N;
}

// Training: mean/var [C] are the batch statistics (var biased); running stats (either may be
// null) get (1 - momentum) running + momentum batch, the variance unbiased by `unbias`.
// Eval: mean/var are unused; the running stats are the statistics.
// Writes save_mean, save_invstd [C] and scale, shift [C] (double) with y = x * scale + shift.
template <class T>
__global__ void bn_channel_kernel(const double* mean, const double* var, const T* gamma, const T* beta, T* rmean,
                                  T* rvar, bool training, double momentum, double eps, double unbias, T* save_mean,
                                  T* save_invstd, double* scale, double* shift, int64_t C) {
  for (int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; c < C;
       c += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    double m, v;
    if (training) {
      m = mean[c];
      v = var[c];
      if (rmean) rmean[c] = static_cast<T>((1.0 - momentum) * static_cast<double>(rmean[c]) + momentum * m);
      if (rvar) rvar[c] = static_cast<T>((1.0 - momentum) * static_cast<double>(rvar[c]) + momentum * v * unbias);
    } else {
      m = static_cast<double>(rmean[c]);
      v = static_cast<double>(rvar[c]);
    }
    const double invstd = 1.0 / ::sqrt(v + eps);
    save_mean[c] = static_cast<T>(m);
    save_invstd[c] = static_cast<T>(invstd);
    // y = (x - mean) * invstd * gamma + beta = x * scale + shift.
    const double g = gamma ? static_cast<double>(gamma[c]) : 1.0, b = beta ? static_cast<double>(beta[c]) : 0.0;
    scale[c] = invstd * g;
    shift[c] = b - m * invstd * g;
  }
}

// x, y [N, C] flattened to n elements: y = x * scale[c] + shift[c] in double.
template <class T>
__global__ void bn_apply_kernel(const T* x, const double* scale, const double* shift, T* y, int64_t n, int64_t C) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t c = i % C;
    y[i] = static_cast<T>(static_cast<double>(x[i]) * scale[c] + shift[c]);
  }
}

// sum_gy, sum_gy_xhat [C] from their column sums; gbeta = sum_gy, ggamma = sum_gy_xhat (each
// may be null).
template <class T>
__global__ void bn_grad_channel_kernel(const double* partial_gy, const double* partial_gy_xhat, ColumnPlan p,
                                       double* sum_gy, double* sum_gy_xhat, T* ggamma, T* gbeta) {
  for (int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; c < p.C;
       c += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const double sg = column_total(partial_gy, p, c), sgx = column_total(partial_gy_xhat, p, c);
    sum_gy[c] = sg;
    sum_gy_xhat[c] = sgx;
    if (gbeta) gbeta[c] = static_cast<T>(sg);
    if (ggamma) ggamma[c] = static_cast<T>(sgx);
  }
}

// x, gy, gx [N, C] flattened to n elements. k = gamma[c] * invstd[c] (gamma 1 when null).
// Eval: gx = gy k. Training: gx = k (gy - sum_gy / N - xhat sum_gy_xhat / N).
template <class T>
__global__ void bn_grad_x_kernel(const T* x, const T* gamma, const T* save_mean, const T* save_invstd, const T* gy,
                                 const double* sum_gy, const double* sum_gy_xhat, bool training, double inv_n, T* gx,
                                 int64_t n, int64_t C) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t c = i % C;
    const double k = (gamma ? static_cast<double>(gamma[c]) : 1.0) * static_cast<double>(save_invstd[c]);
    const double g = static_cast<double>(gy[i]);
    if (!training) {
      gx[i] = static_cast<T>(g * k);
    } else {
      const double xhat =
          (static_cast<double>(x[i]) - static_cast<double>(save_mean[c])) * static_cast<double>(save_invstd[c]);
      gx[i] = static_cast<T>(k * (g - inv_n * sum_gy[c] - xhat * inv_n * sum_gy_xhat[c]));
    }
  }
}


}  // namespace

// x, y [N, C]; gamma, beta, running_mean, running_var, save_mean, save_invstd [C].
void CudaBackend::batch_norm_forward(const Tensor& x, const Tensor* gamma, const Tensor* beta, Tensor* running_mean,
                                     Tensor* running_var, bool training, double momentum, double eps, Tensor& y,
                                     Tensor& save_mean, Tensor& save_invstd) {
  DeviceGuard g(x.device());
  dispatch_float(x.dtype(), "batch_norm_forward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t N = x.shape()[0], C = x.shape()[1];
    const T* xp = x.data<T>();
    Tensor mean = scratch_f64(C, x.device()), var = scratch_f64(C, x.device());
    Tensor scale = scratch_f64(C, x.device()), shift = scratch_f64(C, x.device());
    if (training) {
      const ColumnPlan plan = plan_columns(N, C);
      Tensor partial = scratch_f64(plan.chunks * C, x.device());
      // Two passes, as the CPU: the mean first, then the squared deviations from it.
      launch_column_partials(XTerm<T>{xp, C}, plan, partial.data<double>(), "batch_norm_forward");
      column_mean_kernel<<<grid_for(C), kThreads, 0, stream()>>>(partial.data<double>(), plan,
                                                                   static_cast<double>(N), mean.data<double>());
      DIEN_LAUNCH_CHECK("batch_norm_forward");
      launch_column_partials(SquaredDeviationTerm<T>{xp, mean.data<double>(), C}, plan, partial.data<double>(),
                             "batch_norm_forward");
      column_mean_kernel<<<grid_for(C), kThreads, 0, stream()>>>(partial.data<double>(), plan,
                                                                   static_cast<double>(N), var.data<double>());
      DIEN_LAUNCH_CHECK("batch_norm_forward");
    }
    const double unbias = N > 1 ? static_cast<double>(N) / static_cast<double>(N - 1) : 1.0;
    bn_channel_kernel<T><<<grid_for(C), kThreads, 0, stream()>>>(
        mean.data<double>(), var.data<double>(), nullable_data<T>(gamma), nullable_data<T>(beta), nullable_data<T>(running_mean),
        nullable_data<T>(running_var), training, momentum, eps, unbias, save_mean.data<T>(), save_invstd.data<T>(),
        scale.data<double>(), shift.data<double>(), C);
    DIEN_LAUNCH_CHECK("batch_norm_forward");
    bn_apply_kernel<T><<<grid_for(N * C), kThreads, 0, stream()>>>(xp, scale.data<double>(), shift.data<double>(),
                                                                     y.data<T>(), N * C, C);
    DIEN_LAUNCH_CHECK("batch_norm_forward");
  });
}

// x, gy, gx [N, C]; gamma, save_*, ggamma, gbeta [C]. Overwrites gx, ggamma, gbeta (each may be null).
void CudaBackend::batch_norm_backward(const Tensor& x, const Tensor* gamma, const Tensor& save_mean,
                                      const Tensor& save_invstd, const Tensor& gy, bool training, Tensor* gx,
                                      Tensor* ggamma, Tensor* gbeta) {
  DeviceGuard g(x.device());
  dispatch_float(x.dtype(), "batch_norm_backward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t N = x.shape()[0], C = x.shape()[1];
    const ColumnPlan plan = plan_columns(N, C);
    Tensor partial_gy = scratch_f64(plan.chunks * C, x.device());
    Tensor partial_gy_xhat = scratch_f64(plan.chunks * C, x.device());
    Tensor sum_gy = scratch_f64(C, x.device()), sum_gy_xhat = scratch_f64(C, x.device());
    launch_column_partials(GyTerm<T>{gy.data<T>(), C}, plan, partial_gy.data<double>(), "batch_norm_backward");
    launch_column_partials(
        GyXhatTerm<T>{x.data<T>(), gy.data<T>(), save_mean.data<T>(), save_invstd.data<T>(), C}, plan,
        partial_gy_xhat.data<double>(), "batch_norm_backward");
    bn_grad_channel_kernel<T><<<grid_for(C), kThreads, 0, stream()>>>(
        partial_gy.data<double>(), partial_gy_xhat.data<double>(), plan, sum_gy.data<double>(),
        sum_gy_xhat.data<double>(), nullable_data<T>(ggamma), nullable_data<T>(gbeta));
    DIEN_LAUNCH_CHECK("batch_norm_backward");
    if (!gx) return;
    bn_grad_x_kernel<T><<<grid_for(N * C), kThreads, 0, stream()>>>(
        x.data<T>(), nullable_data<T>(gamma), save_mean.data<T>(), save_invstd.data<T>(), gy.data<T>(), sum_gy.data<double>(),
        sum_gy_xhat.data<double>(), training, 1.0 / static_cast<double>(N), gx->data<T>(), N * C, C);
    DIEN_LAUNCH_CHECK("batch_norm_backward");
  });
}

}  // namespace dien::cuda
