// SPDX-License-Identifier: MIT
// CUDA attention weights over variable-length sequences: the twin of kernels/cpu/attention.cpp
// (semantics in kernels/backend.h). One warp per batch row: rows are short (T is the behaviour
// sequence length, tens to hundreds), so a warp strides over t and reduces with shuffles; no
// shared memory and no block-wide barrier. Sums are accumulated in double in a fixed lane
// order, so results are deterministic.
//   forward  normalize: y[t] = exp(s[t] - max) / Σ_{t'<L} exp(s[t'] - max) for t < L, else 0
//                       (L = lengths[b]; a length-0 row is all 0).
//            !normalize: y[t] = s[t] for t < L, else 0.
//   backward normalize: gx[t] = y[t] (gy[t] - Σ_{t'<L} gy[t'] y[t']) for t < L, else 0.
//            !normalize: gx[t] = gy[t] for t < L, else 0.
// Padded entries of scores / gy are never read, so they cannot influence anything.
#include <cstdint>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {
namespace {

// Why 8 warps per block: 256 threads is the project's default block; a row is one warp.
constexpr int kRowsPerBlock = kThreads / 32;

__device__ inline float att_exp(float x) { return expf(x); }
__device__ inline double att_exp(double x) { return exp(x); }

// scores, y: [B, T]; len: [B].
template <class S>
__global__ void attention_fwd_kernel(const S* scores, const int64_t* len, S* y, int64_t B, int64_t T, bool normalize) {
  const int lane = threadIdx.x % 32;
  const int64_t b = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
  if (b >= B) return;  // whole warps leave together: the shuffles below see full warps
  const int64_t L = len[b];
  const S* s = scores + b * T;
  S* out = y + b * T;
  if (!normalize) {
    for (int64_t t = lane; t < T; t += 32) out[t] = t < L ? s[t] : S(0);
    return;
  }
  if (L == 0) {  // nothing to normalise over: all zeros
    for (int64_t t = lane; t < T; t += 32) out[t] = S(0);
    return;
  }
  S m = s[0];  // L >= 1 here
  for (int64_t t = lane; t < L; t += 32) m = s[t] > m ? s[t] : m;
  m = warp_max(m);
  double sum = 0.0;
  for (int64_t t = lane; t < L; t += 32) sum += static_cast<double>(att_exp(s[t] - m));
  sum = warp_sum(sum);
  for (int64_t t = lane; t < T; t += 32)
    out[t] = t < L ? static_cast<S>(static_cast<double>(att_exp(s[t] - m)) / sum) : S(0);
}

// y, gy, gx: [B, T]; len: [B].
template <class S>
__global__ void attention_bwd_kernel(const S* y, const S* gy, const int64_t* len, S* gx, int64_t B, int64_t T,
                                     bool normalize) {
  const int lane = threadIdx.x % 32;
  const int64_t b = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
  if (b >= B) return;
  const int64_t L = len[b];
  const S* yr = y + b * T;
  const S* gr = gy + b * T;
  S* out = gx + b * T;
  if (!normalize) {
    for (int64_t t = lane; t < T; t += 32) out[t] = t < L ? gr[t] : S(0);
    return;
  }
  double dot = 0.0;
  for (int64_t t = lane; t < L; t += 32) dot += static_cast<double>(gr[t]) * static_cast<double>(yr[t]);
  dot = warp_sum(dot);
  for (int64_t t = lane; t < T; t += 32)
    out[t] = t < L ? static_cast<S>(static_cast<double>(yr[t]) * (static_cast<double>(gr[t]) - dot)) : S(0);
}

const int64_t* att_lengths(const Tensor& lengths, const char* op) {
  if (lengths.dtype() != DType::I64) fail(op, "lengths must be i64, got ", dtype_name(lengths.dtype()));
  return lengths.data<int64_t>();
}

}  // namespace

void CudaBackend::attention_forward(const Tensor& scores, const Tensor& lengths, bool normalize, Tensor& y) {
  const char* op = "attention_forward";
  DeviceGuard guard(scores.device());
  const int64_t B = scores.size(0), T = scores.size(1);
  if (B == 0 || T == 0) return;
  const int64_t* len = att_lengths(lengths, op);
  dispatch_float(scores.dtype(), op, [&](auto tag) {
    using S = decltype(tag);
    attention_fwd_kernel<S><<<static_cast<unsigned>(ceil_div(B, kRowsPerBlock)), kThreads, 0, stream()>>>(
        scores.data<S>(), len, y.data<S>(), B, T, normalize);
    DIEN_LAUNCH_CHECK(op);
  });
}

void CudaBackend::attention_backward(const Tensor& y, const Tensor& gy, const Tensor& lengths, bool normalize,
                                     Tensor& gx) {
  const char* op = "attention_backward";
  DeviceGuard guard(y.device());
  const int64_t B = y.size(0), T = y.size(1);
  if (B == 0 || T == 0) return;
  const int64_t* len = att_lengths(lengths, op);
  dispatch_float(y.dtype(), op, [&](auto tag) {
    using S = decltype(tag);
    attention_bwd_kernel<S><<<static_cast<unsigned>(ceil_div(B, kRowsPerBlock)), kThreads, 0, stream()>>>(
        y.data<S>(), gy.data<S>(), len, gx.data<S>(), B, T, normalize);
    DIEN_LAUNCH_CHECK(op);
  });
}

}  // namespace dien::cuda
