// SPDX-License-Identifier: MIT
#include "layers/attention.h"

#include "autograd/functions.h"

namespace dien {

namespace {
void check_qk(const char* op, const Tensor& q, const Tensor& k, int64_t qdim, int64_t kdim) {
  if (!q.defined() || !k.defined() || q.ndim() != 2 || k.ndim() != 3 || q.size(0) != k.size(0) ||
      q.size(1) != qdim || k.size(2) != kdim)
    fail(op, "expected query [B, ", qdim, "] and keys [B, T, ", kdim, "], got query ",
         q.defined() ? q.describe() : std::string("undefined"), ", keys ",
         k.defined() ? k.describe() : std::string("undefined"));
}
}  // namespace

Tensor weighted_sum(const Tensor& weights, const Tensor& keys) {
  // [B, 1, T] x [B, T, E] -> [B, 1, E]
  Tensor r = matmul(unsqueeze(weights, 1), keys);
  return squeeze(r, 1);
}

LocalActivationUnit::LocalActivationUnit(int64_t embedding_dim, const std::vector<int64_t>& hidden_units,
                                         const std::string& activation, init::Initializer& init)
    : dim_(embedding_dim) {
  if (embedding_dim <= 0) fail("LocalActivationUnit", "embedding_dim must be positive, got ", embedding_dim);
  dnn_ = register_module("dnn", std::make_shared<DNN>(4 * embedding_dim, hidden_units, activation, 0.0, 0.0, false,
                                                      init, /*dice_dim=*/3));
  dense_ = register_module("dense", std::make_shared<Linear>(hidden_units.back(), 1, true, init.gen(), init.dtype()));
  init::assign(dense_->weight(), init.dense_weight(1, hidden_units.back()));
  init::assign(dense_->bias(), init.dense_bias(1, hidden_units.back()));
}

// The first layer's product with [q, k, q - k, q ⊙ k] (W = [W_q | W_k | W_d | W_p], E columns
// each) is computed without building that [B, T, 4E] input:
//   [q, k, q-k, q⊙k] Wᵀ + b = q (W_q + W_d)ᵀ + b  (once per row, broadcast over T)
//                            + k (W_k - W_d)ᵀ + (q ⊙ k) W_pᵀ
// half the multiply-adds of the concatenated form, and no [B, T, 4E] copy forward or backward.
// Gradients reach W through the column slices (the same parameter, the same checkpoint).
Tensor LocalActivationUnit::forward(const Tensor& query, const Tensor& keys, bool training) const {
  check_qk("LocalActivationUnit", query, keys, dim_, dim_);
  const int64_t B = keys.size(0), T = keys.size(1), E = dim_;
  const Linear& first = *dnn_->linears()[0];
  const Tensor& W = first.weight();  // [H1, 4E]
  Tensor w_q = slice(W, 1, 0, E), w_k = slice(W, 1, E, 2 * E), w_d = slice(W, 1, 2 * E, 3 * E),
         w_p = slice(W, 1, 3 * E, 4 * E);
  Tensor per_row = linear(query, w_q + w_d, first.bias());                      // [B, H1]
  Tensor per_step = linear(keys, w_k - w_d, Tensor()) + linear(unsqueeze(query, 1) * keys, w_p, Tensor());
  Tensor z = per_step + unsqueeze(per_row, 1);                                   // [B, T, H1]
  Tensor s = dense_->forward(dnn_->forward_after_first_product(z, training));    // [B, T, 1]
  return reshape(s, {B, T});
}

AttentionSequencePooling::AttentionSequencePooling(int64_t embedding_dim, const std::vector<int64_t>& hidden_units,
                                                   const std::string& activation, bool weight_normalization,
                                                   bool return_score, init::Initializer& init)
    : normalize_(weight_normalization), return_score_(return_score) {
  local_att_ = register_module("local_att",
                               std::make_shared<LocalActivationUnit>(embedding_dim, hidden_units, activation, init));
}

Tensor AttentionSequencePooling::weights(const Tensor& query, const Tensor& keys, const Tensor& lengths, bool training,
                                         bool fused) const {
  // Keys at padded steps are zeroed first: their scores are masked anyway, but in training mode a
  // Dice (or batch norm) inside the attention net takes batch statistics over every step, and
  // padded embeddings must not reach them (DeepCTR-Torch lets them in; in eval nothing differs).
  Tensor mask = sequence_mask(lengths, keys.size(1), keys.dtype()).to(keys.device());
  Tensor scores = local_att_->forward(query, keys * unsqueeze(mask, 2), training);
  return fused ? attention_weights(scores, lengths, normalize_) : attention_weights_unfused(scores, lengths, normalize_);
}

Tensor AttentionSequencePooling::forward(const Tensor& query, const Tensor& keys, const Tensor& lengths, bool training,
                                         bool fused) const {
  Tensor w = weights(query, keys, lengths, training, fused);
  return return_score_ ? w : weighted_sum(w, keys);
}

BilinearAttention::BilinearAttention(int64_t key_dim, int64_t query_dim, init::Initializer& init)
    : key_dim_(key_dim), query_dim_(query_dim) {
  if (key_dim <= 0 || query_dim <= 0) fail("BilinearAttention", "dims must be positive, got ", key_dim, ", ", query_dim);
  weight_ = register_parameter("weight", init.dense_weight(key_dim, query_dim));
}

Tensor BilinearAttention::weights(const Tensor& query, const Tensor& keys, const Tensor& lengths, bool fused) const {
  check_qk("BilinearAttention", query, keys, query_dim_, key_dim_);
  Tensor v = linear(query, weight_, Tensor());          // [B, H] = W e
  Tensor s = squeeze(matmul(keys, unsqueeze(v, 2)), 2);  // [B, T]
  return fused ? attention_weights(s, lengths, true) : attention_weights_unfused(s, lengths, true);
}

}  // namespace dien
