// SPDX-License-Identifier: MIT
// Launch helpers shared by the CUDA kernels: grid sizing, the device's stream and cuBLAS handle,
// broadcast indexing, warp/block sums (dtype dispatch: kernels/kernel_util.h, shared with the CPU).
#pragma once
#include <cstdint>

#include "core/tensor.h"
#include "kernels/cuda/check.h"
#include "kernels/kernel_util.h"

namespace dien::cuda {

constexpr int kThreads = 256;

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
// Blocks for a grid-stride loop over n elements (capped; the loop covers the rest).
inline unsigned grid_for(int64_t n, int threads = kThreads) {
  int64_t b = ceil_div(n, threads);
  if (b < 1) b = 1;
  if (b > 65535LL * 8) b = 65535LL * 8;
  return static_cast<unsigned>(b);
}

// The stream and cuBLAS handle of the current device (kernels/cuda/device.cu). Selecting the
// tensor's device is done by DeviceGuard.
cudaStream_t stream();
cublasHandle_t cublas();
bool allow_tf32();
bool deterministic();

// Makes `d` the current CUDA device for the guard's lifetime.
class DeviceGuard {
 public:
  explicit DeviceGuard(Device d);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int prev_ = -1;
};

// 4-D broadcast description passed by value to kernels: out dims and an operand's strides into
// its own storage (0 along broadcast dims). Same convention as kernels/cpu/cpu_util.h.
struct Bcast4 {
  int64_t dims[4];
  int64_t stride[4];
};
inline Bcast4 make_bcast(const Shape& operand, const Shape& out) {
  Bcast4 b{};
  int64_t od[4] = {1, 1, 1, 1}, oo[4] = {1, 1, 1, 1};
  for (int i = 0; i < operand.size(); ++i) od[4 - operand.size() + i] = operand[i];
  for (int i = 0; i < out.size(); ++i) oo[4 - out.size() + i] = out[i];
  int64_t acc = 1;
  for (int i = 3; i >= 0; --i) {
    b.dims[i] = oo[i];
    b.stride[i] = od[i] == 1 ? 0 : acc;
    acc *= od[i];
  }
  return b;
}
// Flat index into the operand for flat output index k, in index type I: int64_t, or uint32_t
// where every flat index fits (fits_u32): a 32-bit division costs a fraction of a 64-bit one.
template <class I = int64_t>
__host__ __device__ inline I bcast_index(const Bcast4& b, I k) {
  const I d3 = static_cast<I>(b.dims[3]), d2 = static_cast<I>(b.dims[2]), d1 = static_cast<I>(b.dims[1]);
  I i3 = k % d3;
  k /= d3;
  I i2 = k % d2;
  k /= d2;
  I i1 = k % d1;
  I i0 = k / d1;
  return i0 * static_cast<I>(b.stride[0]) + i1 * static_cast<I>(b.stride[1]) + i2 * static_cast<I>(b.stride[2]) +
         i3 * static_cast<I>(b.stride[3]);
}
// Whether flat indices below n (and the grid-stride loop's next index) fit 32-bit unsigned math.
inline bool fits_u32(int64_t n) { return n >= 0 && n < (int64_t{1} << 31); }

// Sum over a warp (all 32 lanes participate).
template <class T>
__device__ inline T warp_sum(T v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
template <class T>
__device__ inline T warp_max(T v) {
  for (int o = 16; o > 0; o >>= 1) {
    T w = __shfl_xor_sync(0xffffffffu, v, o);
    v = w > v ? w : v;
  }
  return v;
}
// Sum over a block of blockDim.x threads (a multiple of 32, at most 1024); every thread gets it.
template <class T>
__device__ inline T block_sum(T v) {
  __shared__ T shared[32];
  int lane = threadIdx.x % 32, wid = threadIdx.x / 32;
  v = warp_sum(v);
  __syncthreads();
  if (lane == 0) shared[wid] = v;
  __syncthreads();
  int nw = (blockDim.x + 31) / 32;
  T r = lane < nw ? shared[lane] : T(0);
  return warp_sum(r);
}

}  // namespace dien::cuda
