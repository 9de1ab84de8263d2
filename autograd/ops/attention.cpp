// SPDX-License-Identifier: MIT
// Attention weights of DIN/DIEN over variable-length behaviour sequences: the scores of the
// valid steps, softmax-normalised over those steps (normalize) or just masked (!normalize).
// attention_weights is one fused node (backend attention_forward/backward: the length mask is
// applied inside the kernel, padded scores are never read); attention_weights_unfused is the
// same function composed from sequence_mask and masked_softmax / mul (the oracle).
// Derivation: docs/gradients.md ("Attention weights").
#include "autograd/functions.h"
#include "autograd/ops/sequence_checks.h"
#include "kernels/dispatch.h"

namespace dien {

namespace {

void check_scores(const char* op, const Tensor& scores, const Tensor& lengths) {
  check_defined(op, scores, "scores");
  check_floating(op, scores);
  if (scores.ndim() != 2) fail(op, "scores must be 2-D [B, T], got scores ", scores.describe());
  detail::check_lengths(op, lengths, scores, scores.size(0), scores.size(1), "T");
}

}  // namespace

// scores [B,T], lengths [B] -> y [B,T].
Tensor attention_weights(const Tensor& scores, const Tensor& lengths, bool normalize) {
  check_scores("attention_weights", scores, lengths);
  const Tensor len = detail::lengths_i64(lengths);
  Tensor y = Tensor::empty(scores.shape(), scores.dtype(), scores.device());
  backend_for(scores).attention_forward(scores, len, normalize, y);
  // normalize: per row, y = softmax of the L valid scores, so over t < L
  //   gx_t = Σ_s g_s y_s (δ_st - y_t) = y_t (g_t - Σ_{s<L} g_s y_s), and 0 at padded steps.
  // !normalize: y_t = x_t [t < L], so gx_t = g_t [t < L].
  return record("attention_weights", y, {scores},
                [ys = y.detach(), len, normalize](const TensorList& g, const Needs&) {
                  Tensor gx = Tensor::empty(ys.shape(), ys.dtype(), ys.device());
                  backend_for(ys).attention_backward(ys, g[0], len, normalize, gx);
                  return TensorList{gx};
                });
}

Tensor attention_weights_unfused(const Tensor& scores, const Tensor& lengths, bool normalize) {
  check_scores("attention_weights_unfused", scores, lengths);
  Tensor mask = sequence_mask(lengths, scores.size(1), scores.dtype());
  return normalize ? masked_softmax(scores, mask) : mul(scores, mask);
}

}  // namespace dien
