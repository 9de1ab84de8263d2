// SPDX-License-Identifier: MIT
// Helpers shared by the CPU kernels: a parallel loop and broadcast indexing (dtype dispatch is in
// kernels/kernel_util.h, shared with the CUDA kernels).
// Eigen types appear only in kernels/cpu/*.cpp, never in this header's callers' headers.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>

#include <utility>

#include "core/error.h"
#include "core/parallel.h"
#include "core/tensor.h"
#include "core/threads.h"
#include "kernels/kernel_util.h"

namespace dien::cpu {

// Elements per thread below which loops stay serial (thread start-up costs more).
inline constexpr int64_t kParallelGrain = 1 << 15;

// f(begin, end) over [0, n), split across the calling thread's intra-op threads
// (core/threads.h) by the library's pool (core/parallel.h) when n is large; one thread, or a
// loop inside another, runs f(0, n) on the caller.
template <class F>
void parallel_for(int64_t n, int64_t grain, F&& f) {
  parallel_run(n, grain, num_threads(), std::forward<F>(f));
}

// 4-D broadcast indexing: the output shape padded to 4 dims on the left, and for an operand the
// strides into it (0 along broadcast dimensions).
struct Bcast4 {
  std::array<int64_t, 4> dims{1, 1, 1, 1};
  std::array<int64_t, 4> stride{0, 0, 0, 0};
};
inline std::array<int64_t, 4> pad4(const Shape& s) {
  std::array<int64_t, 4> d{1, 1, 1, 1};
  for (int i = 0; i < s.size(); ++i) d[4 - s.size() + i] = s[i];
  return d;
}
// Strides of `operand` when read at the indices of `out` (operand broadcast to out).
inline std::array<int64_t, 4> bcast_strides(const Shape& operand, const Shape& out) {
  auto od = pad4(operand);
  std::array<int64_t, 4> st{0, 0, 0, 0};
  int64_t acc = 1;
  for (int i = 3; i >= 0; --i) {
    st[i] = od[i] == 1 ? 0 : acc;
    acc *= od[i];
  }
  (void)out;
  return st;
}
// True when `operand` (broadcast to out) repeats with period numel(operand) over out's flat
// index, i.e. its padded shape is 1s followed by out's trailing dims.
inline bool is_suffix_of(const Shape& operand, const Shape& out) {
  auto od = pad4(operand), oo = pad4(out);
  int k = 0;
  while (k < 4 && od[k] == 1) ++k;  // leading broadcast (size-1) dims
  for (int i = k; i < 4; ++i)
    if (od[i] != oo[i]) return false;
  return true;
}

}  // namespace dien::cpu
