// SPDX-License-Identifier: MIT
// CPU dropout mask from the Philox stream. Element i uses word i of the stream (seed, offset)
// (core/philox.h): u = to_unit_float(word) for f32 masks, to_unit_double(word) for f64, and
// mask[i] = u >= p ? 1/(1-p) : 0 with the comparison done in the mask's type (p cast to it).
// A CUDA twin that follows the same rule draws the same mask bit for bit.
#include "core/philox.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/cpu_util.h"

namespace dien::cpu {

namespace {

template <class T>
inline T unit(uint32_t w) {
  if constexpr (sizeof(T) == sizeof(float)) return philox::to_unit_float(w);
  else return philox::to_unit_double(w);
}

// mask [n]. One Philox call yields the 4 words of counter offset + g, i.e. elements 4g..4g+3,
// exactly philox::word(seed, offset, i) for each of them.
template <class T>
void dropout_mask_impl(T* mask, int64_t n, double p, uint64_t seed, uint64_t offset) {
  const T pt = static_cast<T>(p);
  const T keep = p < 1.0 ? static_cast<T>(1.0 / (1.0 - p)) : T(0);
  const int64_t groups = (n + 3) / 4;
  parallel_for(groups, kParallelGrain / 4, [&](int64_t b, int64_t e) {
    for (int64_t g = b; g < e; ++g) {
      philox::U32x4 r = philox::philox4x32_10(offset + static_cast<uint64_t>(g), seed);
      for (int64_t lane = 0; lane < 4; ++lane) {
        int64_t i = 4 * g + lane;
        if (i >= n) break;
        mask[i] = unit<T>(r.v[lane]) >= pt ? keep : T(0);
      }
    }
  });
}

}  // namespace

// mask: any shape, f32 or f64; p in [0, 1] (p == 1 gives all zeros).
void CpuBackend::dropout_mask(Tensor& mask, double p, uint64_t seed, uint64_t offset) {
  dispatch_float(mask.dtype(), "dropout_mask", [&](auto tag) {
    using T = decltype(tag);
    dropout_mask_impl<T>(mask.data<T>(), mask.numel(), p, seed, offset);
  });
}

}  // namespace dien::cpu
