// SPDX-License-Identifier: MIT
// CUDA dropout mask from the Philox stream: the twin of kernels/cpu/dropout.cpp, drawing the
// same mask bit for bit. Element i uses word i of the stream (seed, offset) (core/philox.h):
// u = to_unit_float(word) for f32 masks, to_unit_double(word) for f64, and
// mask[i] = u >= p ? 1/(1-p) : 0, compared in the mask's type with p cast to it. p and the kept
// scale are converted to T on the host exactly as the CPU does, so the device only compares.
#include "core/philox.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

namespace {

template <class T>
__device__ inline T unit(uint32_t w) {
  if constexpr (sizeof(T) == sizeof(float)) return philox::to_unit_float(w);
  else return philox::to_unit_double(w);
}

// mask [n]. Why one thread per group of 4: one Philox call yields the 4 words of counter
// offset + g, i.e. elements 4g..4g+3 (exactly philox::word(seed, offset, i) for each), as on the
// CPU; a thread per element would compute every Philox block four times.
template <class T>
__global__ void dropout_mask_kernel(T* mask, int64_t n, T pt, T keep, uint64_t seed, uint64_t offset) {
  const int64_t groups = (n + 3) / 4;
  for (int64_t g = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; g < groups;
       g += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const philox::U32x4 r = philox::philox4x32_10(offset + static_cast<uint64_t>(g), seed);
    for (int lane = 0; lane < 4; ++lane) {
      const int64_t i = 4 * g + lane;
      if (i >= n) break;
      mask[i] = unit<T>(r.v[lane]) >= pt ? keep : T(0);
    }
  }
}

}  // namespace

// mask: any shape, f32 or f64; p in [0, 1] (p == 1 gives all zeros).
void CudaBackend::dropout_mask(Tensor& mask, double p, uint64_t seed, uint64_t offset) {
  DeviceGuard g(mask.device());
  dispatch_float(mask.dtype(), "dropout_mask", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = mask.numel();
    const T pt = static_cast<T>(p);
    const T keep = p < 1.0 ? static_cast<T>(1.0 / (1.0 - p)) : T(0);
    dropout_mask_kernel<T><<<grid_for((n + 3) / 4), kThreads, 0, stream()>>>(mask.data<T>(), n, pt, keep, seed,
                                                                              offset);
    DIEN_LAUNCH_CHECK("dropout_mask");
  });
}

}  // namespace dien::cuda
