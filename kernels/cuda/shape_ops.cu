// SPDX-License-Identifier: MIT
// CUDA shape kernels, the twins of kernels/cpu/shape_ops.cpp: copy_band (the one kernel behind
// concat, slice, split and their backwards) and transpose_last2 (a 32x32 shared-memory tiled
// transpose). Both work on every dtype (ids and masks are sliced too).
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

namespace {

// Product of the dims of s in [from, to).
int64_t dims_product(const Shape& s, int from, int to) {
  int64_t p = 1;
  for (int i = from; i < to; ++i) p *= s[i];
  return p;
}

// For k in [0, outer * run), o = k / run, i = k % run:
//   d[(o * ld + dst_start) * inner + i] (=|+=) s[(o * ls + src_start) * inner + i].
// One flat loop over all copied elements (rather than one block per outer index) keeps every
// thread busy when the band is short; consecutive threads touch consecutive addresses within
// a run. beta == 0 never reads d.
template <class T, class I>
__global__ void copy_band_kernel(const T* s, int64_t ls, int64_t src_start, T* d, int64_t ld, int64_t dst_start,
                                 int64_t inner, I run, int64_t total, T beta, bool accumulate) {
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < total; k += int64_t(gridDim.x) * blockDim.x) {
    const I ki = static_cast<I>(k);
    const int64_t o = ki / run, i = ki % run;
    const T v = s[(o * ls + src_start) * inner + i];
    T* dp = d + (o * ld + dst_start) * inner + i;
    *dp = accumulate ? beta * *dp + v : v;
  }
}

constexpr int kTile = 32;      // tile edge
constexpr int kTileRows = 8;   // threads per block: kTile x kTileRows; each covers 4 tile rows

// x [batch, M, N] -> out [batch, N, M]. A grid-stride loop over all tiles (batch * tiles of M *
// tiles of N, by block), so any batch/M/N fits in a 1-D grid. Each tile is read row-wise (coalesced
// along N), stored in shared memory, and written row-wise into out (coalesced along M). The +1
// column pads the tile so that reading it column-wise hits 32 different banks. The tile loop
// depends only on blockIdx, so every thread reaches both __syncthreads.
template <class T>
__global__ void transpose_kernel(const T* x, T* out, int64_t batch, int64_t M, int64_t N, int64_t tiles_m,
                                 int64_t tiles_n) {
  __shared__ T tile[kTile][kTile + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t tiles = batch * tiles_m * tiles_n;
  for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
    const int64_t b = t / (tiles_m * tiles_n), rest = t % (tiles_m * tiles_n);
    const int64_t i0 = (rest / tiles_n) * kTile;  // first row of x in this tile
    const int64_t j0 = (rest % tiles_n) * kTile;  // first column of x in this tile
    const T* xb = x + b * M * N;
    T* ob = out + b * M * N;
    // tile[r][c] = x[b, i0 + r, j0 + c]
    for (int r = ty; r < kTile; r += kTileRows) {
      const int64_t i = i0 + r, j = j0 + tx;
      if (i < M && j < N) tile[r][tx] = xb[i * N + j];
    }
    __syncthreads();
    // out[b, j0 + r, i0 + c] = x[b, i0 + c, j0 + r] = tile[c][r]
    for (int r = ty; r < kTile; r += kTileRows) {
      const int64_t j = j0 + r, i = i0 + tx;
      if (j < N && i < M) ob[j * M + i] = tile[tx][r];
    }
    __syncthreads();  // the tile is reused by the next iteration
  }
}

}  // namespace

// src [..., Ls, ...], dst [..., Ld, ...] (equal except along dim): for every outer index o,
// dst[o, dst_start : dst_start+len, :] (=|+=) src[o, src_start : src_start+len, :].
void CudaBackend::copy_band(const Tensor& src, int64_t src_start, Tensor& dst, int64_t dst_start, int dim,
                            int64_t len, double beta) {
  const Shape& ss = src.shape();
  const int64_t outer = dims_product(ss, 0, dim), inner = dims_product(ss, dim + 1, ss.size());
  const int64_t ls = ss[dim], ld = dst.shape()[dim];
  const int64_t run = len * inner;  // contiguous elements per outer index
  if (run == 0 || outer == 0) return;
  const int64_t total = outer * run;
  DeviceGuard g(dst.device());
  dispatch_all(dst.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* sp = static_cast<const T*>(src.raw_data());
    T* dp = static_cast<T*>(dst.raw_data());
    if (fits_u32(total))  // the band's division and modulo in 32 bits
      copy_band_kernel<T, uint32_t><<<grid_for(total), kThreads, 0, stream()>>>(
          sp, ls, src_start, dp, ld, dst_start, inner, static_cast<uint32_t>(run), total, static_cast<T>(beta),
          beta != 0.0);
    else
      copy_band_kernel<T, int64_t><<<grid_for(total), kThreads, 0, stream()>>>(
          sp, ls, src_start, dp, ld, dst_start, inner, run, total, static_cast<T>(beta), beta != 0.0);
    DIEN_LAUNCH_CHECK("copy_band");
  });
}

// x [..., M, N] -> out [..., N, M].
void CudaBackend::transpose_last2(const Tensor& x, Tensor& out) {
  const Shape& s = x.shape();
  const int64_t M = s[s.size() - 2], N = s[s.size() - 1];
  if (M * N == 0) return;
  const int64_t batch = x.numel() / (M * N);
  if (batch == 0) return;
  const int64_t tiles_m = ceil_div(M, kTile), tiles_n = ceil_div(N, kTile);
  DeviceGuard g(out.device());
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const dim3 threads(kTile, kTileRows);
    transpose_kernel<T><<<grid_for(batch * tiles_m * tiles_n, 1), threads, 0, stream()>>>(
        static_cast<const T*>(x.raw_data()), static_cast<T*>(out.raw_data()), batch, M, N, tiles_m, tiles_n);
    DIEN_LAUNCH_CHECK("transpose_last2");
  });
}

}  // namespace dien::cuda
