// SPDX-License-Identifier: MIT
// CPU attention weights over variable-length sequences: a masked softmax fused with the
// length mask (normalize), or the scores with padded steps zeroed (!normalize), forward and
// backward side by side. Padded steps (t >= lengths[b]) are never read, so garbage there
// cannot leak into outputs or gradients. Rows are independent and split across threads.
// Derivation: docs/gradients.md ("Attention weights").
#include <algorithm>
#include <cmath>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/cpu_util.h"

namespace dien::cpu {

namespace {

// Lengths of every row as int64 (i32 or i64 input).
std::vector<int64_t> read_lengths(const Tensor& lengths, const char* op) {
  std::vector<int64_t> len(lengths.numel());
  dispatch_index(lengths.dtype(), op, [&](auto itag) {
    using I = decltype(itag);
    const I* l = lengths.data<I>();
    for (size_t b = 0; b < len.size(); ++b) len[b] = static_cast<int64_t>(l[b]);
  });
  return len;
}

// scores, y [B,T]; row b uses its first L = len[b] entries.
//   normalize: y[t] = exp(s[t] - m) / Σ_{t'<L} exp(s[t'] - m), m = max_{t<L} s[t]; 0 for t >= L.
//   otherwise: y[t] = s[t] for t < L, 0 for t >= L.
template <class T>
void attention_fwd(const T* scores, const std::vector<int64_t>& len, bool normalize, T* y, int64_t B, int64_t Tn) {
  parallel_for(B, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(Tn, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      const T* s = scores + b * Tn;
      T* out = y + b * Tn;
      const int64_t L = len[b];
      if (normalize && L > 0) {
        T m = s[0];
        for (int64_t t = 1; t < L; ++t) m = std::max(m, s[t]);
        double sum = 0;
        for (int64_t t = 0; t < L; ++t) {
          out[t] = std::exp(s[t] - m);
          sum += out[t];
        }
        const T inv = static_cast<T>(1.0 / sum);
        for (int64_t t = 0; t < L; ++t) out[t] *= inv;
      } else if (!normalize) {
        for (int64_t t = 0; t < L; ++t) out[t] = s[t];
      }
      for (int64_t t = std::max<int64_t>(L, 0); t < Tn; ++t) out[t] = T(0);
    }
  });
}

// Backward (overwrites gx [B,T]), over t < L only:
//   normalize: gx[t] = y[t] (gy[t] - Σ_{t'<L} gy[t'] y[t'])   (softmax Jacobian y(δ - y))
//   otherwise: gx[t] = gy[t]
// and gx[t] = 0 for t >= L.
template <class T>
void attention_bwd(const T* y, const T* gy, const std::vector<int64_t>& len, bool normalize, T* gx, int64_t B,
                   int64_t Tn) {
  parallel_for(B, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(Tn, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      const T* yr = y + b * Tn;
      const T* gr = gy + b * Tn;
      T* out = gx + b * Tn;
      const int64_t L = len[b];
      if (normalize) {
        double dot = 0;
        for (int64_t t = 0; t < L; ++t) dot += static_cast<double>(gr[t]) * yr[t];
        const T d = static_cast<T>(dot);
        for (int64_t t = 0; t < L; ++t) out[t] = yr[t] * (gr[t] - d);
      } else {
        for (int64_t t = 0; t < L; ++t) out[t] = gr[t];
      }
      for (int64_t t = std::max<int64_t>(L, 0); t < Tn; ++t) out[t] = T(0);
    }
  });
}

}  // namespace

// scores [B,T], lengths [B] (values in [0,T], checked by the op), y [B,T].
void CpuBackend::attention_forward(const Tensor& scores, const Tensor& lengths, bool normalize, Tensor& y) {
  const int64_t B = scores.size(0), Tn = scores.size(1);
  const auto len = read_lengths(lengths, "attention_forward");
  dispatch_float(scores.dtype(), "attention_forward", [&](auto tag) {
    using T = decltype(tag);
    attention_fwd<T>(scores.data<T>(), len, normalize, y.data<T>(), B, Tn);
  });
}

// y, gy, gx [B,T]; lengths [B].
void CpuBackend::attention_backward(const Tensor& y, const Tensor& gy, const Tensor& lengths, bool normalize,
                                    Tensor& gx) {
  const int64_t B = y.size(0), Tn = y.size(1);
  const auto len = read_lengths(lengths, "attention_backward");
  dispatch_float(y.dtype(), "attention_backward", [&](auto tag) {
    using T = decltype(tag);
    attention_bwd<T>(y.data<T>(), gy.data<T>(), len, normalize, gx.data<T>(), B, Tn);
  });
}

}  // namespace dien::cpu
