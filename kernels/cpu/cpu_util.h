// SPDX-License-Identifier: MIT
// Helpers shared by the CPU kernels: a parallel loop and broadcast indexing (dtype dispatch is in
// kernels/kernel_util.h, shared with the CUDA kernels).
// Eigen types appear only in kernels/cpu/*.cpp, never in this header's callers' headers.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>

#include "core/error.h"
#if DIEN_WITH_OPENMP
#include <omp.h>
#endif
#include "core/tensor.h"
#include "core/threads.h"
#include "kernels/kernel_util.h"

namespace dien::cpu {

// Elements per thread below which loops stay serial (thread start-up costs more).
inline constexpr int64_t kParallelGrain = 1 << 15;

// f(begin, end) over [0, n), split across the calling thread's intra-op threads
// (core/threads.h) when n is large; one thread never enters an OpenMP region.
template <class F>
void parallel_for(int64_t n, int64_t grain, F&& f) {
#if DIEN_WITH_OPENMP
  const int threads = n > grain ? num_threads() : 1;
  if (threads > 1) {
#pragma omp parallel num_threads(threads)
    {
      int nt = omp_get_num_threads(), id = omp_get_thread_num();
      int64_t chunk = (n + nt - 1) / nt;
      int64_t b = std::min<int64_t>(n, chunk * id), e = std::min<int64_t>(n, b + chunk);
      if (b < e) f(b, e);
    }
    return;
  }
#endif
  if (n > 0) f(0, n);
}

// Eigen threads its large products with omp_get_max_threads() of the calling thread: for the
// guard's lifetime that is the calling thread's intra-op threads (core/threads.h), and the
// thread's own OpenMP setting comes back afterwards. Put one at the entry of every kernel that
// runs Eigen products.
class EigenThreads {
 public:
#if DIEN_WITH_OPENMP
  EigenThreads() : previous_(omp_get_max_threads()) {
    const int n = num_threads();
    if (n != previous_) omp_set_num_threads(n);
  }
  ~EigenThreads() {
    if (omp_get_max_threads() != previous_) omp_set_num_threads(previous_);
  }

 private:
  int previous_;
#endif
};

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
