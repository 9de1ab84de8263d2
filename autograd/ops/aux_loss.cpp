// SPDX-License-Identifier: MIT
// The auxiliary loss of DIEN (Zhou et al. 2019, Eq. 6): BCE of the aux net's probabilities for
// (h_t, e_{t+1}) with target 1 and (h_t, e'_{t+1}) with target 0, averaged over the 2n terms
// of the n valid pairs (pair t of row b is valid iff t < lengths[b] - 1), 0 when n == 0.
// aux_bce is one fused node (backend aux_bce_forward/backward); aux_bce_unfused composes the
// same value from bce, mul, sum and div with a 0/1 mask of the valid pairs (the oracle).
// Derivation: docs/gradients.md ("Auxiliary loss").
#include <algorithm>

#include "autograd/functions.h"
#include "autograd/ops/sequence_checks.h"
#include "kernels/dispatch.h"

namespace dien {

namespace {

// p_pos, p_neg [B,P] floating, same dtype/device; lengths [B] in [0, P+1]. Returns the lengths
// on the host.
std::vector<int64_t> check_aux(const char* op, const Tensor& p_pos, const Tensor& p_neg, const Tensor& lengths,
                               double eps) {
  check_defined(op, p_pos, "p_pos");
  check_defined(op, p_neg, "p_neg");
  check_floating(op, p_pos);
  check_same_dtype(op, p_pos, p_neg);
  check_same_device(op, p_pos, p_neg);
  if (p_pos.ndim() != 2 || p_neg.shape() != p_pos.shape())
    fail(op, "p_pos and p_neg must both be [B, P], got p_pos ", p_pos.describe(), ", p_neg ", p_neg.describe());
  if (!(eps >= 0.0 && eps < 0.5)) fail(op, "eps must be in [0, 0.5), got ", eps);
  // A row of length L has L - 1 pairs (h_t, e_{t+1}), so L may be at most P + 1.
  return detail::check_lengths(op, lengths, p_pos, p_pos.size(0), p_pos.size(1) + 1, "P + 1");
}

}  // namespace

Tensor aux_bce(const Tensor& p_pos, const Tensor& p_neg, const Tensor& lengths, double eps) {
  check_aux("aux_bce", p_pos, p_neg, lengths, eps);
  const Tensor len = detail::lengths_i64(lengths);
  Tensor loss = Tensor::empty(Shape{}, p_pos.dtype(), p_pos.device());
  backend_for(p_pos).aux_bce_forward(p_pos, p_neg, len, eps, loss);
  // loss = Σ_valid [-log p⁺ - log(1 - p⁻)] / (2n):
  //   d/dp⁺ = -1 / (2n p⁺),  d/dp⁻ = 1 / (2n (1 - p⁻))   at valid pairs inside the clamp, else 0.
  return record("aux_bce", loss, {p_pos, p_neg},
                [pp = p_pos.detach(), pn = p_neg.detach(), len, eps](const TensorList& g, const Needs&) {
                  Tensor gp = Tensor::empty(pp.shape(), pp.dtype(), pp.device());
                  Tensor gn = Tensor::empty(pn.shape(), pn.dtype(), pn.device());
                  backend_for(pp).aux_bce_backward(pp, pn, len, eps, g[0], gp, gn);
                  return TensorList{gp, gn};
                });
}

Tensor aux_bce_unfused(const Tensor& p_pos, const Tensor& p_neg, const Tensor& lengths, double eps) {
  std::vector<int64_t> len = check_aux("aux_bce_unfused", p_pos, p_neg, lengths, eps);
  const int64_t P = p_pos.size(1);
  // Pairs per row: clamp(L - 1, 0, P); their 0/1 mask [B,P] and count n.
  std::vector<int64_t> pairs(len.size());
  int64_t n = 0;
  for (size_t b = 0; b < len.size(); ++b) n += pairs[b] = std::clamp<int64_t>(len[b] - 1, 0, P);
  Tensor mask = sequence_mask(from_vector(pairs, Shape{static_cast<int64_t>(pairs.size())}, p_pos.device()), P, p_pos.dtype());
  Tensor one = ones(p_pos.shape(), p_pos.dtype(), p_pos.device());
  Tensor zero = zeros(p_pos.shape(), p_pos.dtype(), p_pos.device());
  Tensor terms = add(mul(bce(p_pos, one, Reduction::None, eps), mask), mul(bce(p_neg, zero, Reduction::None, eps), mask));
  Tensor denom = scalar_tensor(static_cast<double>(std::max<int64_t>(2 * n, 1)), p_pos.dtype(), p_pos.device());
  return div(sum(terms), denom);  // n == 0: every term is masked, 0 / 1 = 0
}

}  // namespace dien
