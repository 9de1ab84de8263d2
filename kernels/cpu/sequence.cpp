// SPDX-License-Identifier: MIT
// CPU sequence kernels: the padding mask of a batch of variable-length sequences.
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/cpu_util.h"

namespace dien::cpu {

// lengths [B] (i32/i64, each in [0, T]), mask [B, T] of any dtype: 1 where t < lengths[b], else 0.
void CpuBackend::sequence_mask(const Tensor& lengths, Tensor& mask) {
  dispatch_index(lengths.dtype(), "sequence_mask", [&](auto itag) {
    using I = decltype(itag);
    const I* len = lengths.data<I>();
    dispatch_all(mask.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T* m = mask.data<T>();
      const int64_t B = mask.shape()[0], Tn = mask.shape()[1];
      for (int64_t b = 0; b < B; ++b) {
        const int64_t n = static_cast<int64_t>(len[b]);
        for (int64_t t = 0; t < Tn; ++t) m[b * Tn + t] = t < n ? T(1) : T(0);
      }
    });
  });
}

}  // namespace dien::cpu
