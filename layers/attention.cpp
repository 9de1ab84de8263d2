// SPDX-License-Identifier: MIT
#include "layers/attention.h"

#include <vector>

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

Tensor LocalActivationUnit::forward_rows(const Tensor& query, const Tensor& keys_rows, const Tensor& row_of,
                                         bool training) const {
  const int64_t E = dim_;
  if (!query.defined() || query.ndim() != 2 || query.size(1) != E || !keys_rows.defined() || keys_rows.ndim() != 2 ||
      keys_rows.size(1) != E || !row_of.defined() || row_of.ndim() != 1 || row_of.size(0) != keys_rows.size(0))
    fail("LocalActivationUnit", "expected query [B, ", E, "], keys_rows [n, ", E, "] and row_of [n], got ",
         query.defined() ? query.describe() : std::string("undefined"), ", ",
         keys_rows.defined() ? keys_rows.describe() : std::string("undefined"), ", ",
         row_of.defined() ? row_of.describe() : std::string("undefined"));
  const int64_t n = keys_rows.size(0);
  const Linear& first = *dnn_->linears()[0];
  const Tensor& W = first.weight();  // [H1, 4E]
  Tensor w_q = slice(W, 1, 0, E), w_k = slice(W, 1, E, 2 * E), w_d = slice(W, 1, 2 * E, 3 * E),
         w_p = slice(W, 1, 3 * E, 4 * E);
  Tensor per_row = linear(query, w_q + w_d, first.bias());  // [B, H1]
  Tensor q = embedding(query, row_of);                        // [n, E]: each step's query
  // per_row + (q ⊙ k) W_pᵀ + k (W_k − W_d)ᵀ, each product starting from the sum so far (no add pass),
  // the last one inside the net's node with the other layers and the dense one
  Tensor init = linear_add(q * keys_rows, w_p, embedding(per_row, row_of));
  return reshape(dnn_->forward_from_parts(keys_rows, w_k - w_d, init, training, dense_.get()), {n});
}

AttentionSequencePooling::AttentionSequencePooling(int64_t embedding_dim, const std::vector<int64_t>& hidden_units,
                                                   const std::string& activation, bool weight_normalization,
                                                   bool return_score, init::Initializer& init)
    : normalize_(weight_normalization), return_score_(return_score) {
  local_att_ = register_module("local_att",
                               std::make_shared<LocalActivationUnit>(embedding_dim, hidden_units, activation, init));
}

// scores [B, T] of local_att_ at the valid steps t < lengths[b], 0 elsewhere (undefined when no
// step is valid); the net sees those
// steps' keys only. Keys are gathered with gather_rows() and the scores put back with the
// differentiable row gather embedding(): a score's gradient reaches its key and query, nothing
// reaches a padded step.
Tensor AttentionSequencePooling::valid_step_scores(const Tensor& query, const Tensor& keys, const Tensor& lengths,
                                                   bool training) const {
  const int64_t B = keys.size(0), T = keys.size(1), E = keys.size(2);
  std::vector<int64_t> len = lengths.to(DType::I64).to_vector<int64_t>();
  std::vector<int64_t> steps, row_of, place(static_cast<size_t>(B * T));
  for (int64_t b = 0; b < B; ++b) {
    const int64_t l = len[static_cast<size_t>(b)];
    if (l < 0 || l > T)
      fail("attention", "lengths[", b, "] = ", l, " is outside [0, ", T, "] (keys ", keys.describe(), ")");
    for (int64_t t = 0; t < T; ++t) place[static_cast<size_t>(b * T + t)] = t < l ? 0 : -1;
    for (int64_t t = 0; t < l; ++t) {
      place[static_cast<size_t>(b * T + t)] = static_cast<int64_t>(steps.size());
      steps.push_back(b * T + t);
      row_of.push_back(b);
    }
  }
  const int64_t n = static_cast<int64_t>(steps.size());
  if (n == 0) return Tensor();  // no valid step: the caller's padded path (its gradients are zeros)
  for (int64_t& p : place)
    if (p < 0) p = n;  // padded steps read the zero row after the n scores
  const Device dev = keys.device();
  Tensor keys_rows = gather_rows(reshape(keys, {B * T, E}), index_tensor(steps, Shape{n}, dev));
  Tensor s = local_att_->forward_rows(query, keys_rows, index_tensor(row_of, Shape{n}, dev), training);
  Tensor table = concat({reshape(s, {n, 1}), zeros(Shape{1, 1}, s.dtype(), dev)}, 0);  // [n + 1, 1]
  return reshape(embedding(table, index_tensor(place, Shape{B, T}, dev)), {B, T});
}

Tensor AttentionSequencePooling::weights(const Tensor& query, const Tensor& keys, const Tensor& lengths, bool training,
                                         bool fused) const {
  // Keys at padded steps are zeroed first: their scores are masked anyway, but in training mode a
  // Dice (or batch norm) inside the attention net takes batch statistics over every step, and
  // padded embeddings must not reach them (DeepCTR-Torch lets them in; in eval nothing differs).
  // Fused, on the CPU, and unless a Dice (built for [B, T, C], its training statistics over every
  // step) is inside: the attention net runs on the valid steps only (uniform lengths: half the padded
  // grid), and their scores go back to their places in [B, T] (0 at padded steps, which the
  // masked softmax ignores).
  if (fused && keys.device().is_cpu() && !local_att_->batch_statistics() && keys.ndim() == 3 &&
      lengths.defined() && lengths.ndim() == 1 && lengths.size(0) == keys.size(0)) {
    Tensor s = valid_step_scores(query, keys, lengths, training);
    if (s.defined()) return attention_weights(s, lengths, normalize_);
  }
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
