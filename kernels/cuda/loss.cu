// SPDX-License-Identifier: MIT
// CUDA elementwise loss kernels: binary cross-entropy on probabilities (clamped) and on logits
// (the stable log-sum-exp form), forward and backward side by side. Twin of
// kernels/cpu/loss.cpp, same expressions in the same order. Reductions (mean/sum) are done by
// the autograd op with the differentiable reduce ops.
#include <cmath>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

namespace {

// Explicit float/double overloads: why not plain log/exp: they make sure an f32 kernel calls
// the float functions (logf, ...) and never silently widens to double.
__device__ inline float dev_log(float v) { return ::logf(v); }
__device__ inline double dev_log(double v) { return ::log(v); }
__device__ inline float dev_log1p(float v) { return ::log1pf(v); }
__device__ inline double dev_log1p(double v) { return ::log1p(v); }
__device__ inline float dev_exp(float v) { return ::expf(v); }
__device__ inline double dev_exp(double v) { return ::exp(v); }
__device__ inline float dev_fabs(float v) { return ::fabsf(v); }
__device__ inline double dev_fabs(double v) { return ::fabs(v); }

// The CPU's two-branch sigmoid (no overflow of exp for large |x|).
template <class T>
__device__ inline T stable_sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + dev_exp(-x));
  T e = dev_exp(x);
  return e / (T(1) + e);
}

// std::clamp(v, lo, hi) and std::max(v, 0), written out (NaN passes through as in std::).
template <class T>
__device__ inline T clamp_to(T v, T lo, T hi) {
  return v < lo ? lo : (hi < v ? hi : v);
}
template <class T>
__device__ inline T max0(T v) {
  return v < T(0) ? T(0) : v;
}

// p, t, l [n]. pc = clamp(p, lo, hi); l = -(t log pc + (1-t) log(1-pc)).
template <class T>
__global__ void bce_forward_kernel(const T* p, const T* t, T* l, T lo, T hi, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const T pc = clamp_to(p[i], lo, hi);
    l[i] = -(t[i] * dev_log(pc) + (T(1) - t[i]) * dev_log1p(-pc));
  }
}

// p, t, gl, gp [n]. gp = gl (p - t) / (p (1 - p)) where lo <= p <= hi, else 0 (overwrites).
template <class T>
__global__ void bce_backward_kernel(const T* p, const T* t, const T* gl, T* gp, T lo, T hi, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const T pv = p[i];
    gp[i] = (pv < lo || pv > hi) ? T(0) : gl[i] * (pv - t[i]) / (pv * (T(1) - pv));
  }
}

// x, t, l [n]. l = max(x, 0) - x t + log(1 + exp(-|x|)).
template <class T>
__global__ void bce_logits_forward_kernel(const T* x, const T* t, T* l, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const T v = x[i];
    l[i] = max0(v) - v * t[i] + dev_log1p(dev_exp(-dev_fabs(v)));
  }
}

// x, t, gl, gx [n]. gx = gl (sigmoid(x) - t) (overwrites).
template <class T>
__global__ void bce_logits_backward_kernel(const T* x, const T* t, const T* gl, T* gx, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)
    gx[i] = gl[i] * (stable_sigmoid(x[i]) - t[i]);
}

}  // namespace

// p, t, l: same shape.
void CudaBackend::bce_forward(const Tensor& p, const Tensor& t, double eps, Tensor& l) {
  DeviceGuard g(p.device());
  dispatch_float(p.dtype(), "bce_forward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = p.numel();
    const T lo = static_cast<T>(eps), hi = static_cast<T>(1.0 - eps);
    bce_forward_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(p.data<T>(), t.data<T>(), l.data<T>(), lo, hi, n);
    DIEN_LAUNCH_CHECK("bce_forward");
  });
}

// p, t, gl, gp: same shape.
void CudaBackend::bce_backward(const Tensor& p, const Tensor& t, double eps, const Tensor& gl, Tensor& gp) {
  DeviceGuard g(p.device());
  dispatch_float(p.dtype(), "bce_backward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = p.numel();
    const T lo = static_cast<T>(eps), hi = static_cast<T>(1.0 - eps);
    bce_backward_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(p.data<T>(), t.data<T>(), gl.data<T>(),
                                                                    gp.data<T>(), lo, hi, n);
    DIEN_LAUNCH_CHECK("bce_backward");
  });
}

// x, t, l: same shape.
void CudaBackend::bce_logits_forward(const Tensor& x, const Tensor& t, Tensor& l) {
  DeviceGuard g(x.device());
  dispatch_float(x.dtype(), "bce_logits_forward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = x.numel();
    bce_logits_forward_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(x.data<T>(), t.data<T>(), l.data<T>(), n);
    DIEN_LAUNCH_CHECK("bce_logits_forward");
  });
}

// x, t, gl, gx: same shape.
void CudaBackend::bce_logits_backward(const Tensor& x, const Tensor& t, const Tensor& gl, Tensor& gx) {
  DeviceGuard g(x.device());
  dispatch_float(x.dtype(), "bce_logits_backward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = x.numel();
    bce_logits_backward_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(x.data<T>(), t.data<T>(), gl.data<T>(),
                                                                           gx.data<T>(), n);
    DIEN_LAUNCH_CHECK("bce_logits_backward");
  });
}

}  // namespace dien::cuda
