// SPDX-License-Identifier: MIT
// CUDA softmax over the last dimension, optionally masked (nonzero = valid), and its backward:
// the twins of kernels/cpu/softmax.cpp. One warp per row: rows in this project are short
// (attention over a history of tens to hundreds of items), so a warp covers a row in a few
// strides and reduces with shuffles alone, no shared memory or __syncthreads. Sums accumulate
// in double, as on the CPU.
#include <cmath>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

namespace {

__device__ inline float dexp(float x) { return expf(x); }
__device__ inline double dexp(double x) { return ::exp(x); }

constexpr int kWarpsPerBlock = kThreads / 32;

// x, y [rows, cols]; mask [rows, cols] of dtype M or null. Stable: subtracts the row max over
// valid entries. Masked entries get 0; a row without valid entries is all 0.
// The row loop advances by whole warps, so all 32 lanes of a warp stay in the loop together, as
// the full-mask shuffles in warp_max/warp_sum and __any_sync require.
template <class T, class M>
__global__ void softmax_fwd_kernel(const T* x, const M* mask, T* y, int64_t rows, int64_t cols) {
  const int lane = threadIdx.x % 32;
  const int64_t warp = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) / 32;
  const int64_t nwarps = (int64_t(gridDim.x) * blockDim.x) / 32;
  for (int64_t r = warp; r < rows; r += nwarps) {
    const T* xr = x + r * cols;
    const M* mr = mask ? mask + r * cols : nullptr;
    T* yr = y + r * cols;
    // Row max over the valid entries of this lane, then over the warp. A lane with none keeps
    // -inf, which never wins against a valid (finite) entry of another lane.
    T mx = -INFINITY;
    bool any = false;
    for (int64_t j = lane; j < cols; j += 32)
      if (!mr || mr[j] != M(0)) {
        mx = any ? (xr[j] > mx ? xr[j] : mx) : xr[j];
        any = true;
      }
    mx = warp_max(mx);
    any = __any_sync(0xffffffffu, any);
    if (!any) {
      for (int64_t j = lane; j < cols; j += 32) yr[j] = T(0);
      continue;
    }
    double s = 0.0;
    for (int64_t j = lane; j < cols; j += 32) {
      const T e = (!mr || mr[j] != M(0)) ? dexp(xr[j] - mx) : T(0);
      yr[j] = e;
      s += e;
    }
    s = warp_sum(s);
    const T inv = static_cast<T>(1.0 / s);
    // Each lane rescales the entries it wrote itself: no other lane's write is read.
    for (int64_t j = lane; j < cols; j += 32) yr[j] *= inv;
  }
}

// gx[r, j] = y[r, j] * (gy[r, j] - sum_k gy[r, k] y[r, k]); all [rows, cols]; overwrites gx.
template <class T>
__global__ void softmax_bwd_kernel(const T* y, const T* gy, T* gx, int64_t rows, int64_t cols) {
  const int lane = threadIdx.x % 32;
  const int64_t warp = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) / 32;
  const int64_t nwarps = (int64_t(gridDim.x) * blockDim.x) / 32;
  for (int64_t r = warp; r < rows; r += nwarps) {
    const T* yr = y + r * cols;
    const T* gr = gy + r * cols;
    T* out = gx + r * cols;
    double dot = 0.0;
    for (int64_t j = lane; j < cols; j += 32) dot += static_cast<double>(gr[j]) * yr[j];
    dot = warp_sum(dot);
    const T d = static_cast<T>(dot);
    for (int64_t j = lane; j < cols; j += 32) out[j] = yr[j] * (gr[j] - d);
  }
}

// Blocks for one warp per row (capped by grid_for; the row loop covers the rest).
unsigned row_blocks(int64_t rows) { return grid_for(rows, kWarpsPerBlock); }

}  // namespace

// x [..., C], mask null or [..., C] of any dtype, y [..., C].
void CudaBackend::softmax_forward(const Tensor& x, const Tensor* mask, Tensor& y) {
  if (x.numel() == 0) return;
  const int64_t cols = x.shape().back(), rows = x.numel() / cols;
  DeviceGuard g(y.device());
  dispatch_float(x.dtype(), "softmax_forward", [&](auto tag) {
    using T = decltype(tag);
    if (!mask) {
      softmax_fwd_kernel<T, T><<<row_blocks(rows), kThreads, 0, stream()>>>(x.data<T>(), nullptr, y.data<T>(), rows,
                                                                            cols);
      DIEN_LAUNCH_CHECK("softmax_forward");
      return;
    }
    dispatch_all(mask->dtype(), [&](auto mtag) {
      using M = decltype(mtag);
      softmax_fwd_kernel<T, M><<<row_blocks(rows), kThreads, 0, stream()>>>(
          x.data<T>(), static_cast<const M*>(mask->raw_data()), y.data<T>(), rows, cols);
      DIEN_LAUNCH_CHECK("softmax_forward");
    });
  });
}

// y, gy, gx [..., C]; overwrites gx.
void CudaBackend::softmax_backward(const Tensor& y, const Tensor& gy, Tensor& gx) {
  if (y.numel() == 0) return;
  const int64_t cols = y.shape().back(), rows = y.numel() / cols;
  DeviceGuard g(gx.device());
  dispatch_float(y.dtype(), "softmax_backward", [&](auto tag) {
    using T = decltype(tag);
    softmax_bwd_kernel<T><<<row_blocks(rows), kThreads, 0, stream()>>>(y.data<T>(), gy.data<T>(), gx.data<T>(),
                                                                       rows, cols);
    DIEN_LAUNCH_CHECK("softmax_backward");
  });
}

}  // namespace dien::cuda
