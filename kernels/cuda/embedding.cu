// SPDX-License-Identifier: MIT
// CUDA embedding kernels: row gather (forward) and its adjoint, a row scatter-add (backward);
// a row scatter (copy) for lazy optimizer updates. Twin of kernels/cpu/embedding.cpp. Ids are i32/i64 and were range-checked by the op.
//
// The backward has two paths:
// - default: one thread per element of gy, atomicAdd into gw. Fast; repeated ids add up in an
//   unspecified order, so the rounding of f32 sums may change from run to run.
// - cuda::deterministic() (dien::set_deterministic(true)): atomic-free and bit-reproducible.
//   A stable radix sort (CUB) of (id, position) pairs groups the positions of each id in
//   ascending order; then one thread per (run of equal ids, column) adds the run's rows to gw in
//   position order, i.e. exactly the CPU's serial loop, so the result equals the CPU's bit for
//   bit. Cost: the sort (O(n) with two n-sized key/value copies and CUB's scratch) plus one
//   pass over gy; a column of a very frequent id (e.g. a padding id) is summed by one thread, so
//   its time grows with that id's count.
#include <cub/device/device_radix_sort.cuh>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

namespace {

// weight [V, E], ids [n], out [n, E]: out[i, k] = weight[ids[i], k]. One thread per element of
// out, so consecutive threads read consecutive k of one row (coalesced).
template <class T, class I>
__global__ void embedding_forward_kernel(const T* w, const I* ids, T* out, int64_t n, int64_t E) {
  const int64_t total = n * E;
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < total;
       t += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t i = t / E, k = t % E;
    out[t] = w[static_cast<int64_t>(ids[i]) * E + k];
  }
}

// gy [n, E], ids [n], gw [V, E]: gw[ids[i], k] += gy[i, k] with atomics (repeated ids race,
// the atomics make the sum correct). atomicAdd on double needs sm_60+ (dien builds sm_80/90).
template <class T, class I>
__global__ void embedding_backward_atomic_kernel(const T* gy, const I* ids, T* gw, int64_t n, int64_t E) {
  const int64_t total = n * E;
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < total;
       t += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t i = t / E, k = t % E;
    atomicAdd(gw + static_cast<int64_t>(ids[i]) * E + k, gy[t]);
  }
}

// src [n, E], ids [n] distinct, dst [V, E]: dst[ids[i], k] = src[i, k]. One thread per element
// of src; distinct ids never write the same element.
template <class T, class I>
__global__ void embedding_scatter_kernel(const T* src, const I* ids, T* dst, int64_t n, int64_t E) {
  const int64_t total = n * E;
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < total;
       t += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t i = t / E, k = t % E;
    dst[static_cast<int64_t>(ids[i]) * E + k] = src[t];
  }
}

// pos [n] = 0, 1, ..., n-1 (the values sorted along with the ids).
__global__ void iota_kernel(int64_t* pos, int64_t n) {
  for (int64_t j = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; j < n;
       j += static_cast<int64_t>(blockDim.x) * gridDim.x)
    pos[j] = j;
}

// sorted_ids [n] ascending, sorted_pos [n] the matching positions (ascending within one id, the
// sort being stable), gy [n, E], gw [V, E]. Thread (j, k): if j starts a run of equal ids, it
// adds gy[pos, k] for the run's positions in order into gw[id, k]; other threads do nothing.
// Runs have distinct ids, so no two threads write the same element of gw.
template <class T, class I>
__global__ void embedding_backward_sorted_kernel(const T* gy, const I* sorted_ids, const int64_t* sorted_pos,
                                                 T* gw, int64_t n, int64_t E) {
  const int64_t total = n * E;
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < total;
       t += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t j = t / E, k = t % E;
    if (j > 0 && sorted_ids[j] == sorted_ids[j - 1]) continue;  // not the head of its run
    const I id = sorted_ids[j];
    T* dst = gw + static_cast<int64_t>(id) * E + k;
    T acc = *dst;
    for (int64_t q = j; q < n && sorted_ids[q] == id; ++q) acc += gy[sorted_pos[q] * E + k];
    *dst = acc;
  }
}

// Elements of type I in a device scratch tensor of `count` items of `dt` (i32 or i64), at
// least one element so that the pointer is valid.
Tensor scratch(int64_t count, DType dt, Device d) {
  return Tensor::empty(Shape{count > 0 ? count : 1}, dt, d);
}

// The deterministic backward: sort, then the ordered run sums (see the file comment).
template <class T, class I>
void embedding_backward_deterministic(const T* gy, const Tensor& ids, T* gw, int64_t n, int64_t E) {
  const Device d = ids.device();
  const DType idt = ids.dtype();
  Tensor sorted_ids = scratch(n, idt, d);
  Tensor pos = scratch(n, DType::I64, d), sorted_pos = scratch(n, DType::I64, d);
  iota_kernel<<<grid_for(n), kThreads, 0, stream()>>>(pos.data<int64_t>(), n);
  DIEN_LAUNCH_CHECK("embedding_backward");
  // CUB's two-phase call: ask for the scratch size, then sort. Ids are in [0, V), so the full
  // key width sorts them correctly (CUB handles the sign bit of signed keys).
  size_t temp_bytes = 0;
  DIEN_CUDA_CHECK("embedding_backward",
                  cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, ids.data<I>(), sorted_ids.data<I>(),
                                                  pos.data<int64_t>(), sorted_pos.data<int64_t>(), n, 0,
                                                  static_cast<int>(sizeof(I) * 8), stream()));
  Tensor temp = scratch(static_cast<int64_t>((temp_bytes + 7) / 8), DType::I64, d);
  DIEN_CUDA_CHECK("embedding_backward",
                  cub::DeviceRadixSort::SortPairs(temp.raw_data(), temp_bytes, ids.data<I>(), sorted_ids.data<I>(),
                                                  pos.data<int64_t>(), sorted_pos.data<int64_t>(), n, 0,
                                                  static_cast<int>(sizeof(I) * 8), stream()));
  embedding_backward_sorted_kernel<T, I><<<grid_for(n * E), kThreads, 0, stream()>>>(
      gy, sorted_ids.data<I>(), sorted_pos.data<int64_t>(), gw, n, E);
  DIEN_LAUNCH_CHECK("embedding_backward");
}

}  // namespace

// weight [V, E], ids [n] (any shape, n elements), out [n, E].
void CudaBackend::embedding_forward(const Tensor& weight, const Tensor& ids, Tensor& out) {
  DeviceGuard g(weight.device());
  dispatch_float(weight.dtype(), "embedding_forward", [&](auto tag) {
    using T = decltype(tag);
    dispatch_index(ids.dtype(), "embedding_forward", [&](auto itag) {
      using I = decltype(itag);
      const int64_t n = ids.numel(), E = weight.shape()[1];
      embedding_forward_kernel<T, I><<<grid_for(n * E), kThreads, 0, stream()>>>(weight.data<T>(), ids.data<I>(),
                                                                                  out.data<T>(), n, E);
      DIEN_LAUNCH_CHECK("embedding_forward");
    });
  });
}

// gy [n, E], ids [n], gw [V, E] (initialised by the caller): gw[ids[i], :] += gy[i, :].
void CudaBackend::embedding_backward(const Tensor& gy, const Tensor& ids, Tensor& gw) {
  DeviceGuard g(gw.device());
  dispatch_float(gw.dtype(), "embedding_backward", [&](auto tag) {
    using T = decltype(tag);
    dispatch_index(ids.dtype(), "embedding_backward", [&](auto itag) {
      using I = decltype(itag);
      const int64_t n = ids.numel(), E = gw.shape()[1];
      if (n == 0 || E == 0) return;  // nothing to add (and CUB needs no zero-length sort)
      if (deterministic()) {
        embedding_backward_deterministic<T, I>(gy.data<T>(), ids, gw.data<T>(), n, E);
      } else {
        embedding_backward_atomic_kernel<T, I><<<grid_for(n * E), kThreads, 0, stream()>>>(
            gy.data<T>(), ids.data<I>(), gw.data<T>(), n, E);
        DIEN_LAUNCH_CHECK("embedding_backward");
      }
    });
  });
}

// src [n, E], ids [n] distinct, dst [V, E]: dst[ids[i], :] = src[i, :].
void CudaBackend::embedding_scatter(const Tensor& src, const Tensor& ids, Tensor& dst) {
  DeviceGuard g(dst.device());
  dispatch_float(dst.dtype(), "embedding_scatter", [&](auto tag) {
    using T = decltype(tag);
    dispatch_index(ids.dtype(), "embedding_scatter", [&](auto itag) {
      using I = decltype(itag);
      const int64_t n = ids.numel(), E = dst.shape()[1];
      if (n == 0 || E == 0) return;
      embedding_scatter_kernel<T, I><<<grid_for(n * E), kThreads, 0, stream()>>>(src.data<T>(), ids.data<I>(),
                                                                                 dst.data<T>(), n, E);
      DIEN_LAUNCH_CHECK("embedding_scatter");
    });
  });
}

}  // namespace dien::cuda
