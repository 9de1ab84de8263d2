// SPDX-License-Identifier: MIT
// CUDA fill, cast, axpy and scale_shift: the twins of kernels/cpu/fill.cpp. Each is one
// elementwise grid-stride kernel over the flat (contiguous) tensor; all take int64 indices.
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

namespace {

// p [n] = v. The value is converted to T on the host (static_cast, as the CPU does).
template <class T>
__global__ void fill_kernel(T* p, T v, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    p[i] = v;
}

// d [n] = static_cast<D>(s [n]).
template <class S, class D>
__global__ void cast_kernel(const S* s, D* d, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    d[i] = static_cast<D>(s[i]);
}

// y [n] += a * x [n].
template <class T>
__global__ void axpy_kernel(T a, const T* x, T* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] += a * x[i];
}

// y [n] = a * x [n] + c. y may be x (in place): each element is read before it is written,
// by the same thread.
template <class T>
__global__ void scale_shift_kernel(const T* x, T a, T c, T* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = a * x[i] + c;
}

}  // namespace

void CudaBackend::fill(Tensor& t, double value) {
  const int64_t n = t.numel();
  if (n == 0) return;
  DeviceGuard g(t.device());
  dispatch_all(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    fill_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(static_cast<T*>(t.raw_data()), static_cast<T>(value), n);
    DIEN_LAUNCH_CHECK("fill");
  });
}

// Any dtype pair (16 instantiations); same dtype is a plain copy through the same kernel.
void CudaBackend::cast(const Tensor& src, Tensor& dst) {
  const int64_t n = src.numel();
  if (n == 0) return;
  DeviceGuard g(dst.device());
  dispatch_all(src.dtype(), [&](auto stag) {
    using S = decltype(stag);
    dispatch_all(dst.dtype(), [&](auto dtag) {
      using D = decltype(dtag);
      cast_kernel<S, D><<<grid_for(n), kThreads, 0, stream()>>>(static_cast<const S*>(src.raw_data()),
                                                                static_cast<D*>(dst.raw_data()), n);
      DIEN_LAUNCH_CHECK("cast");
    });
  });
}

// x, y: same shape, f32 or f64.
void CudaBackend::axpy(double alpha, const Tensor& x, Tensor& y) {
  const int64_t n = y.numel();
  if (n == 0) return;
  DeviceGuard g(y.device());
  dispatch_float(y.dtype(), "axpy", [&](auto tag) {
    using T = decltype(tag);
    axpy_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(static_cast<T>(alpha), x.data<T>(), y.data<T>(), n);
    DIEN_LAUNCH_CHECK("axpy");
  });
}

// x, y: same shape, f32 or f64.
void CudaBackend::scale_shift(const Tensor& x, double alpha, double beta, Tensor& y) {
  const int64_t n = y.numel();
  if (n == 0) return;
  DeviceGuard g(y.device());
  dispatch_float(y.dtype(), "scale_shift", [&](auto tag) {
    using T = decltype(tag);
    scale_shift_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(x.data<T>(), static_cast<T>(alpha),
                                                                   static_cast<T>(beta), y.data<T>(), n);
    DIEN_LAUNCH_CHECK("scale_shift");
  });
}

}  // namespace dien::cuda
