// SPDX-License-Identifier: MIT
// CUDA auxiliary loss of DIEN: the twin of kernels/cpu/aux_loss.cpp (semantics in
// kernels/backend.h). p_pos, p_neg [B, P]; pair t of row b is valid iff t < lengths[b] - 1;
// n = number of valid pairs = Σ_b clamp(lengths[b] - 1, 0, P).
//   forward : loss = Σ_valid [-log pc_pos - log(1 - pc_neg)] / (2n), 0 when n == 0,
//             pc = clamp(p, eps, 1 - eps) (bounds rounded to the scalar type, as in loss.cpp).
//   backward: g_pos = -g/(2n) / p_pos, g_neg = g/(2n) / (1 - p_neg) at valid pairs with p inside
//             [eps, 1 - eps]; 0 at invalid pairs and where p was clamped.
// The forward reduction is deterministic: stage 1 has a fixed number of blocks (from the shape
// only) write one double partial sum each, stage 2 (one block) adds them in a fixed order and
// counts n. Everything is accumulated in double.
#include <algorithm>
#include <cstdint>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {
namespace {

// Why these: 256 threads (the project default); at most 256 partial sums, so stage 2 is one
// short pass of one block, and stage 1 still has enough blocks to fill an H100 for large B·P.
constexpr int kAuxThreads = 256;
constexpr int64_t kMaxPartials = 256;
constexpr int64_t kElemsPerPartial = 4096;

__device__ inline double aux_log(double x) { return log(x); }

// Number of valid pairs, summed over rows by the whole block (every thread gets it).
__device__ inline double count_pairs(const int64_t* len, int64_t B, int64_t P) {
  double c = 0.0;
  for (int64_t b = threadIdx.x; b < B; b += blockDim.x) {
    int64_t v = len[b] - 1;
    v = v < 0 ? 0 : (v > P ? P : v);
    c += static_cast<double>(v);
  }
  return block_sum(c);
}

// partial[blockIdx.x] = Σ over this block's grid-stride elements of the valid BCE terms.
template <class S>
__global__ void aux_partials_kernel(const S* pp, const S* pn, const int64_t* len, int64_t B, int64_t P, S lo, S hi,
                                    double* partial) {
  double acc = 0.0;
  const int64_t N = B * P;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < N;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t b = i / P, t = i % P;
    if (t >= len[b] - 1) continue;
    const S cp = min(max(pp[i], lo), hi), cn = min(max(pn[i], lo), hi);
    acc -= aux_log(static_cast<double>(cp)) + aux_log(1.0 - static_cast<double>(cn));
  }
  acc = block_sum(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

// loss[0] = Σ partials / (2n), or 0 when n == 0. One block.
template <class S>
__global__ void aux_finish_kernel(const double* partial, int64_t nparts, const int64_t* len, int64_t B, int64_t P,
                                  S* loss) {
  const double n = count_pairs(len, B, P);
  if (threadIdx.x == 0) {
    double s = 0.0;
    for (int64_t k = 0; k < nparts; ++k) s += partial[k];
    loss[0] = n > 0.0 ? static_cast<S>(s / (2.0 * n)) : S(0);
  }
}

template <class S>
__global__ void aux_bwd_kernel(const S* pp, const S* pn, const int64_t* len, int64_t B, int64_t P, S lo, S hi,
                               const S* g, S* gpos, S* gneg) {
  const double n = count_pairs(len, B, P);
  const double scale = n > 0.0 ? static_cast<double>(g[0]) / (2.0 * n) : 0.0;
  const int64_t N = B * P;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < N;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t b = i / P, t = i % P;
    const bool valid = t < len[b] - 1;
    const S p = pp[i], q = pn[i];
    gpos[i] = valid && p >= lo && p <= hi ? static_cast<S>(-scale / static_cast<double>(p)) : S(0);
    gneg[i] = valid && q >= lo && q <= hi ? static_cast<S>(scale / (1.0 - static_cast<double>(q))) : S(0);
  }
}

const int64_t* aux_lengths(const Tensor& lengths, const char* op) {
  if (lengths.dtype() != DType::I64) fail(op, "lengths must be i64, got ", dtype_name(lengths.dtype()));
  return lengths.data<int64_t>();
}

}  // namespace

void CudaBackend::aux_bce_forward(const Tensor& p_pos, const Tensor& p_neg, const Tensor& lengths, double eps,
                                  Tensor& loss) {
  const char* op = "aux_bce_forward";
  DeviceGuard guard(p_pos.device());
  const int64_t B = p_pos.size(0), P = p_pos.size(1), N = B * P;
  const int64_t* len = aux_lengths(lengths, op);
  // The number of partials depends on the shape only, so the summation order is fixed.
  const int64_t nparts = std::clamp<int64_t>(ceil_div(N, kElemsPerPartial), 1, kMaxPartials);
  Tensor partial = Tensor::empty(Shape{nparts}, DType::F64, p_pos.device());
  dispatch_float(p_pos.dtype(), op, [&](auto tag) {
    using S = decltype(tag);
    const S lo = static_cast<S>(eps), hi = static_cast<S>(1.0 - eps);
    aux_partials_kernel<S><<<static_cast<unsigned>(nparts), kAuxThreads, 0, stream()>>>(
        p_pos.data<S>(), p_neg.data<S>(), len, B, P, lo, hi, partial.data<double>());
    DIEN_LAUNCH_CHECK(op);
    aux_finish_kernel<S><<<1, kAuxThreads, 0, stream()>>>(partial.data<double>(), nparts, len, B, P, loss.data<S>());
    DIEN_LAUNCH_CHECK(op);
  });
}

void CudaBackend::aux_bce_backward(const Tensor& p_pos, const Tensor& p_neg, const Tensor& lengths, double eps,
                                   const Tensor& g, Tensor& g_pos, Tensor& g_neg) {
  const char* op = "aux_bce_backward";
  DeviceGuard guard(p_pos.device());
  const int64_t B = p_pos.size(0), P = p_pos.size(1), N = B * P;
  if (N == 0) return;
  const int64_t* len = aux_lengths(lengths, op);
  // Why capped: every block recounts n over the B lengths; a few hundred blocks with a
  // grid-stride loop cover any B·P without making that recount dominate.
  const unsigned blocks = std::min<unsigned>(grid_for(N, kAuxThreads), 512);
  dispatch_float(p_pos.dtype(), op, [&](auto tag) {
    using S = decltype(tag);
    const S lo = static_cast<S>(eps), hi = static_cast<S>(1.0 - eps);
    aux_bwd_kernel<S><<<blocks, kAuxThreads, 0, stream()>>>(p_pos.data<S>(), p_neg.data<S>(), len, B, P, lo, hi,
                                                            g.data<S>(), g_pos.data<S>(), g_neg.data<S>());
    DIEN_LAUNCH_CHECK(op);
  });
}

}  // namespace dien::cuda
