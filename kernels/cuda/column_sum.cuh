// SPDX-License-Identifier: MIT
// Per-column sums of a row-major [R, C] matrix, accumulated in double: the reduction over rows
// behind the PReLU weight gradient (activation.cu) and the batch-norm statistics and gradient
// sums (batch_norm.cu). Two stages, both with a fixed summation order, so results are
// reproducible run to run and on any GPU (no atomics):
//   1. column_partials: grid (ceil(C/32), chunks), block (32, 8). Block (bx, k) sums rows of
//      chunk k for columns [32 bx, 32 bx + 32) and writes partial[k, c].
//   2. the caller's finishing kernel adds a column's chunk sums in chunk order
//      (column_total) or spreads them over a block (prelu's shared weight).
// The value summed at (r, c) is a functor's f(r, c) (a struct with a __device__ operator(),
// since the build has no --extended-lambda).
#pragma once
#include <algorithm>
#include <cstdint>

#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

// Why 32 x 8: a warp spans 32 consecutive columns of one row, so every load of x is coalesced
// (the CPU walks rows the same way); 8 row lanes per column give 256 threads per block.
constexpr int kColTile = 32;
constexpr int kRowLanes = 8;

// How the R rows are cut into chunks. chunks == 0 when R == 0 or C == 0 (no partial sums;
// every column total is then 0).
struct ColumnPlan {
  int64_t R = 0, C = 0;
  int64_t chunks = 0;
  int64_t rows_per_chunk = 0;
};

// Why these numbers: up to 256 chunks of >= 32 rows give hundreds of blocks for tall inputs (a
// [B*T, C] Dice input) while keeping the finishing loop short (<= 256 values per column). The
// plan depends on the shape only, never on the GPU, so the summation order is fixed.
inline ColumnPlan plan_columns(int64_t R, int64_t C) {
  ColumnPlan p;
  p.R = R;
  p.C = C;
  if (R <= 0 || C <= 0) return p;
  int64_t chunks = std::min<int64_t>(256, ceil_div(R, 32));
  p.rows_per_chunk = ceil_div(R, chunks);
  p.chunks = ceil_div(R, p.rows_per_chunk);  // no empty chunk at the end
  return p;
}

// partial [chunks, C]: partial[k, c] = sum of f(r, c) over rows r of chunk k.
template <class F>
__global__ void column_partials(F f, ColumnPlan p, double* partial) {
  __shared__ double lanes[kRowLanes][kColTile];
  const int64_t c = static_cast<int64_t>(blockIdx.x) * kColTile + threadIdx.x;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * p.rows_per_chunk;
  const int64_t r1 = r0 + p.rows_per_chunk < p.R ? r0 + p.rows_per_chunk : p.R;
  double acc = 0.0;
  if (c < p.C)
    for (int64_t r = r0 + threadIdx.y; r < r1; r += kRowLanes) acc += f(r, c);
  lanes[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && c < p.C) {
    double s = 0.0;
    for (int k = 0; k < kRowLanes; ++k) s += lanes[k][threadIdx.x];
    partial[static_cast<int64_t>(blockIdx.y) * p.C + c] = s;
  }
}

// Launches stage 1 on the current device's stream (nothing when the plan has no chunks).
// partial must hold chunks * C doubles.
template <class F>
void launch_column_partials(const F& f, const ColumnPlan& p, double* partial, const char* op) {
  if (p.chunks == 0) return;
  dim3 grid(static_cast<unsigned>(ceil_div(p.C, kColTile)), static_cast<unsigned>(p.chunks));
  dim3 block(kColTile, kRowLanes);
  column_partials<F><<<grid, block, 0, stream()>>>(f, p, partial);
  DIEN_LAUNCH_CHECK(op);
}

// Total of column c: its chunk sums added in chunk order (one thread per column).
__device__ inline double column_total(const double* partial, const ColumnPlan& p, int64_t c) {
  double s = 0.0;
  for (int64_t k = 0; k < p.chunks; ++k) s += partial[k * p.C + c];
  return s;
}

// A device scratch buffer of n doubles (at least one element, so that n == 0 still yields a
// valid pointer). Freed when the Tensor dies: the caching allocator may hand the block out at
// once, which is safe because all later work is queued on the same stream.
inline Tensor scratch_f64(int64_t n, Device device) {
  return Tensor::empty(Shape{std::max<int64_t>(n, 1)}, DType::F64, device);
}

}  // namespace dien::cuda
