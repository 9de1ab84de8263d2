// SPDX-License-Identifier: MIT
// CPU shape kernels: copy_band (the one kernel behind concat, slice, split and their
// backwards) and transpose_last2. Both work on every dtype (ids and masks are sliced too).
#include <cstring>

#include <Eigen/Core>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/cpu_util.h"

namespace dien::cpu {

namespace {

// Product of the dims of s in [from, to).
int64_t dims_product(const Shape& s, int from, int to) {
  int64_t p = 1;
  for (int i = from; i < to; ++i) p *= s[i];
  return p;
}

}  // namespace

// src [..., Ls, ...], dst [..., Ld, ...] (equal except along dim): for every outer index o,
// dst[o, dst_start : dst_start+len, :] (=|+=) src[o, src_start : src_start+len, :].
void CpuBackend::copy_band(const Tensor& src, int64_t src_start, Tensor& dst, int64_t dst_start, int dim,
                           int64_t len, double beta) {
  const Shape& ss = src.shape();
  const int64_t outer = dims_product(ss, 0, dim), inner = dims_product(ss, dim + 1, ss.size());
  const int64_t ls = ss[dim], ld = dst.shape()[dim];
  const int64_t run = len * inner;  // contiguous elements per outer index
  if (run == 0 || outer == 0) return;
  dispatch_all(dst.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* s = static_cast<const T*>(src.raw_data());
    T* d = static_cast<T*>(dst.raw_data());
    const T bt = static_cast<T>(beta);
    parallel_for(outer, std::max<int64_t>(1, kParallelGrain / run), [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o) {
        const T* sp = s + (o * ls + src_start) * inner;
        T* dp = d + (o * ld + dst_start) * inner;
        if (beta == 0.0) {
          std::memcpy(dp, sp, static_cast<size_t>(run) * sizeof(T));
        } else {
          for (int64_t i = 0; i < run; ++i) dp[i] = bt * dp[i] + sp[i];
        }
      }
    });
  });
}

// x [..., M, N] -> out [..., N, M]; one Eigen transpose per leading index.
void CpuBackend::transpose_last2(const Tensor& x, Tensor& out) {
  const Shape& s = x.shape();
  const int64_t M = s[s.size() - 2], N = s[s.size() - 1];
  if (M * N == 0) return;
  const int64_t batch = x.numel() / (M * N);
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const T* xp = static_cast<const T*>(x.raw_data());
    T* op = static_cast<T*>(out.raw_data());
    parallel_for(batch, std::max<int64_t>(1, kParallelGrain / (M * N)), [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        Eigen::Map<const RowMat> xm(xp + i * M * N, M, N);
        Eigen::Map<RowMat> om(op + i * M * N, N, M);
        om.noalias() = xm.transpose();
      }
    });
  });
}

}  // namespace dien::cpu
