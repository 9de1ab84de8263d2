// SPDX-License-Identifier: MIT
// CPU auxiliary loss of DIEN (Zhou et al. 2019, Eq. 6): binary cross-entropy of the aux net's
// probabilities for the clicked next item (target 1) and a sampled negative (target 0), over
// the valid pairs only, reduced to one mean, forward and backward side by side.
// Pair t of row b is valid iff t < lengths[b] - 1; n = number of valid pairs;
//   loss = Σ_valid [-log pc_pos - log(1 - pc_neg)] / (2n),  pc = clamp(p, eps, 1-eps),
// 0 when n == 0 (DeepCTR-Torch's mean of the 2n BCE terms). Invalid pairs are never read.
// Derivation: docs/gradients.md ("Auxiliary loss").
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/cpu_util.h"

namespace dien::cpu {

namespace {

// Valid pairs of each row: clamp(lengths[b] - 1, 0, P).
std::vector<int64_t> valid_pairs(const Tensor& lengths, int64_t P, const char* op, int64_t& n) {
  std::vector<int64_t> v(lengths.numel());
  n = 0;
  dispatch_index(lengths.dtype(), op, [&](auto itag) {
    using I = decltype(itag);
    const I* l = lengths.data<I>();
    for (size_t b = 0; b < v.size(); ++b) {
      v[b] = std::clamp<int64_t>(static_cast<int64_t>(l[b]) - 1, 0, P);
      n += v[b];
    }
  });
  return v;
}

}  // namespace

// p_pos, p_neg [B,P], lengths [B], loss [] (shape []).
void CpuBackend::aux_bce_forward(const Tensor& p_pos, const Tensor& p_neg, const Tensor& lengths, double eps,
                                 Tensor& loss) {
  const int64_t B = p_pos.size(0), P = p_pos.size(1);
  int64_t n = 0;
  const auto valid = valid_pairs(lengths, P, "aux_bce_forward", n);
  dispatch_float(p_pos.dtype(), "aux_bce_forward", [&](auto tag) {
    using T = decltype(tag);
    const T* pp = p_pos.data<T>();
    const T* pn = p_neg.data<T>();
    const T lo = static_cast<T>(eps), hi = static_cast<T>(1.0 - eps);
    double acc = 0;  // in double: a sum over up to B*P terms
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < valid[b]; ++t) {
        const T cp = std::clamp(pp[b * P + t], lo, hi), cn = std::clamp(pn[b * P + t], lo, hi);
        acc += -std::log(static_cast<double>(cp)) - std::log1p(-static_cast<double>(cn));
      }
    loss.data<T>()[0] = n > 0 ? static_cast<T>(acc / (2.0 * static_cast<double>(n))) : T(0);
  });
}

// d loss / d p_pos = -1 / (2n p_pos), d loss / d p_neg = 1 / (2n (1 - p_neg)) at valid pairs
// with p inside [eps, 1-eps] (the clamp is flat outside: 0 there, as bce_backward), times g.
// 0 at invalid pairs. Overwrites g_pos, g_neg [B,P].
void CpuBackend::aux_bce_backward(const Tensor& p_pos, const Tensor& p_neg, const Tensor& lengths, double eps,
                                  const Tensor& g, Tensor& g_pos, Tensor& g_neg) {
  const int64_t B = p_pos.size(0), P = p_pos.size(1);
  int64_t n = 0;
  const auto valid = valid_pairs(lengths, P, "aux_bce_backward", n);
  dispatch_float(p_pos.dtype(), "aux_bce_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* pp = p_pos.data<T>();
    const T* pn = p_neg.data<T>();
    T* gp = g_pos.data<T>();
    T* gn = g_neg.data<T>();
    const T lo = static_cast<T>(eps), hi = static_cast<T>(1.0 - eps);
    const T scale = n > 0 ? static_cast<T>(g.data<T>()[0] / (2.0 * static_cast<double>(n))) : T(0);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < P; ++t) {
        const int64_t k = b * P + t;
        if (t >= valid[b]) {
          gp[k] = gn[k] = T(0);
          continue;
        }
        const T vp = pp[k], vn = pn[k];
        gp[k] = (vp < lo || vp > hi) ? T(0) : -scale / vp;
        gn[k] = (vn < lo || vn > hi) ? T(0) : scale / (T(1) - vn);
      }
  });
}

}  // namespace dien::cpu
