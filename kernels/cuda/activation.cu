// SPDX-License-Identifier: MIT
// CUDA kernels for activations with learned parameters: PReLU over the last dimension, forward
// and backward side by side. Twin of kernels/cpu/activation.cpp (same formulas; the weight
// gradient is summed in double, here in a fixed order through column_sum.cuh).
#include "kernels/cuda/column_sum.cuh"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

namespace {

// x, y [R, C] flattened to n = R*C elements; w [C] or [1] (wc == 1: shared).
template <class T>
__global__ void prelu_forward_kernel(const T* x, const T* w, T* y, int64_t n, int64_t C, int64_t wc) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const T wv = w[wc == 1 ? 0 : i % C];
    y[i] = x[i] > T(0) ? x[i] : wv * x[i];
  }
}

// gx [R, C] = gy * (x > 0 ? 1 : w[c]) (overwrites).
template <class T>
__global__ void prelu_backward_x_kernel(const T* x, const T* w, const T* gy, T* gx, int64_t n, int64_t C,
                                        int64_t wc) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)
    gx[i] = x[i] > T(0) ? gy[i] : w[wc == 1 ? 0 : i % C] * gy[i];
}

// f(r, c) = gy * x where x <= 0 (the w branch), else 0; in double. It does not depend on w, so
// the same per-column sums serve a per-channel w (one column each) and a shared w (all columns).
template <class T>
struct PreluWeightTerm {
  const T* x;
  const T* gy;
  int64_t C;
  __device__ double operator()(int64_t r, int64_t c) const {
    const int64_t i = r * C + c;
    return x[i] > T(0) ? 0.0 : static_cast<double>(gy[i]) * static_cast<double>(x[i]);
  }
};

// gw [wc] (=|+=) the column sums: one block per gw[o] (blocks stride over the outputs, uniformly
// per block). wc == C: column o over the chunks; wc == 1: every column over the chunks. Each
// thread takes a fixed slice and block_sum adds the slices in a fixed tree, so the result is
// deterministic. Launch: block kThreads (a multiple of 32, as block_sum needs).
template <class T>
__global__ void prelu_weight_finish_kernel(const double* partial, ColumnPlan p, int64_t wc, T* gw, double beta_w) {
  for (int64_t o = blockIdx.x; o < wc; o += gridDim.x) {
    const int64_t ncols = wc == 1 ? p.C : 1;  // columns that add into gw[o]
    double acc = 0.0;
    for (int64_t j = threadIdx.x; j < p.chunks * ncols; j += blockDim.x) {
      const int64_t k = j / ncols, c = wc == 1 ? j % ncols : o;
      acc += partial[k * p.C + c];
    }
    const double s = block_sum(acc);
    if (threadIdx.x == 0)
      gw[o] = beta_w == 0.0 ? static_cast<T>(s) : static_cast<T>(beta_w * static_cast<double>(gw[o]) + s);
  }
}

}  // namespace

// x [..., C], w [C] or [1], y like x.
void CudaBackend::prelu_forward(const Tensor& x, const Tensor& w, Tensor& y) {
  DeviceGuard g(x.device());
  dispatch_float(x.dtype(), "prelu_forward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = x.numel(), C = x.shape().back();
    prelu_forward_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(x.data<T>(), w.data<T>(), y.data<T>(), n,
                                                                      C, w.numel());
    DIEN_LAUNCH_CHECK("prelu_forward");
  });
}

// x, gy, gx [..., C] as [R, C]; w, gw [C] or [1]. gx/gw may be null. gx is overwritten;
// gw = beta_w * gw + sum (beta_w == 0: gw is not read, it may hold NaN).
void CudaBackend::prelu_backward(const Tensor& x, const Tensor& w, const Tensor& gy, Tensor* gx, Tensor* gw,
                                 double beta_w) {
  DeviceGuard g(x.device());
  dispatch_float(x.dtype(), "prelu_backward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = x.numel(), C = x.shape().back(), rows = C > 0 ? n / C : 0, wc = w.numel();
    if (gx) {
      prelu_backward_x_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(x.data<T>(), w.data<T>(), gy.data<T>(),
                                                                          gx->data<T>(), n, C, wc);
      DIEN_LAUNCH_CHECK("prelu_backward");
    }
    if (gw && wc > 0) {
      const ColumnPlan plan = plan_columns(rows, C);
      Tensor partial = scratch_f64(plan.chunks * C, x.device());
      launch_column_partials(PreluWeightTerm<T>{x.data<T>(), gy.data<T>(), C}, plan, partial.data<double>(),
                             "prelu_backward");
      prelu_weight_finish_kernel<T><<<grid_for(wc, 1), kThreads, 0, stream()>>>(
          partial.data<double>(), plan, wc, gw->data<T>(), beta_w);
      DIEN_LAUNCH_CHECK("prelu_backward");
    }
  });
}

}  // namespace dien::cuda
