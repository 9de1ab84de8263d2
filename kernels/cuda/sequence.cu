// SPDX-License-Identifier: MIT
// CUDA sequence kernels: the padding mask of a batch of variable-length sequences. Twin of
// kernels/cpu/sequence.cpp.
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

namespace {

// lengths [B] (each in [0, Tn]), mask [B, Tn] flattened to n = B*Tn: 1 where t < lengths[b].
template <class T, class I>
__global__ void sequence_mask_kernel(const I* lengths, T* mask, int64_t n, int64_t Tn) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t b = i / Tn, t = i % Tn;
    mask[i] = t < static_cast<int64_t>(lengths[b]) ? T(1) : T(0);
  }
}

}  // namespace

// lengths [B] i32/i64, mask [B, T] of any dtype.
void CudaBackend::sequence_mask(const Tensor& lengths, Tensor& mask) {
  DeviceGuard g(mask.device());
  dispatch_index(lengths.dtype(), "sequence_mask", [&](auto itag) {
    using I = decltype(itag);
    dispatch_all(mask.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const int64_t B = mask.shape()[0], Tn = mask.shape()[1], n = B * Tn;
      sequence_mask_kernel<T, I><<<grid_for(n), kThreads, 0, stream()>>>(lengths.data<I>(), mask.data<T>(), n, Tn);
      DIEN_LAUNCH_CHECK("sequence_mask");
    });
  });
}

}  // namespace dien::cuda
