// SPDX-License-Identifier: MIT
// Attention over a behaviour sequence.
//
// LocalActivationUnit (DIN/DeepCTR-Torch): "dnn" = DNN(4E, att_hidden_units, att_activation,
// dice_dim 3) over concat[q, k, q - k, q * k] per step, then "dense" = Linear(hidden[-1], 1):
// scores [B, T].
// AttentionSequencePooling (DeepCTR-Torch's AttentionSequencePoolingLayer, child "local_att"):
// weights = attention_weights(scores, lengths, weight_normalization) (masked softmax over the
// valid steps, or the raw scores with padded steps zeroed); return_score gives the weights
// [B, T], else the weighted sum of the keys [B, E]. Keys at padded steps are zeroed before the
// local activation unit, so that in training mode a Dice's batch statistics never see a padded
// embedding (DeepCTR-Torch's do; eval outputs are the same). A length-0 row gives zeros
// (DeepCTR-Torch's softmax over all -2^32 paddings would give uniform weights instead).
// BilinearAttention (DIEN paper Eq. 8): a_t = softmax_t(h_t . W e), W [H, E_query] "weight".
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "layers/dnn.h"
#include "layers/init.h"
#include "layers/linear.h"

namespace dien {

class LocalActivationUnit : public Module {
 public:
  LocalActivationUnit(int64_t embedding_dim, const std::vector<int64_t>& hidden_units, const std::string& activation,
                      init::Initializer& init);
  // query [B, E], keys [B, T, E] -> scores [B, T] (every step, padded ones too).
  Tensor forward(const Tensor& query, const Tensor& keys, bool training) const;
  // The same for chosen steps only: keys_rows [n, E], each of row row_of[n] (i64) of query [B, E]
  // -> scores [n]. Each score is computed as forward computes it (the same products and sums);
  // unless batch_statistics(), it equals forward's score of that step.
  Tensor forward_rows(const Tensor& query, const Tensor& keys_rows, const Tensor& row_of, bool training) const;
  // A Dice (or batch norm) inside: its training statistics range over the steps it is given.
  bool batch_statistics() const { return dnn_->batch_statistics(); }

 private:
  int64_t dim_;
  std::shared_ptr<DNN> dnn_;
  std::shared_ptr<Linear> dense_;
};

class AttentionSequencePooling : public Module {
 public:
  AttentionSequencePooling(int64_t embedding_dim, const std::vector<int64_t>& hidden_units,
                           const std::string& activation, bool weight_normalization, bool return_score,
                           init::Initializer& init);
  // query [B, E], keys [B, T, E], lengths i64 [B] -> weights [B, T] (return_score) or pooled
  // keys [B, E]. fused: attention_weights, else attention_weights_unfused.
  Tensor forward(const Tensor& query, const Tensor& keys, const Tensor& lengths, bool training, bool fused) const;
  // The attention weights [B, T] whatever return_score says.
  Tensor weights(const Tensor& query, const Tensor& keys, const Tensor& lengths, bool training, bool fused) const;
  bool return_score() const { return return_score_; }
  // The net's scores [B, T] at the valid steps (computed on those steps only), 0 elsewhere.
  Tensor valid_step_scores(const Tensor& query, const Tensor& keys, const Tensor& lengths, bool training) const;

 private:
  bool normalize_, return_score_;
  std::shared_ptr<LocalActivationUnit> local_att_;
};

class BilinearAttention : public Module {
 public:
  BilinearAttention(int64_t key_dim, int64_t query_dim, init::Initializer& init);
  // query [B, Eq], keys [B, T, H], lengths [B] -> softmax weights over the valid steps [B, T].
  Tensor weights(const Tensor& query, const Tensor& keys, const Tensor& lengths, bool fused) const;

 private:
  int64_t key_dim_, query_dim_;
  Tensor weight_;
};

// sum_t w[b,t] keys[b,t,:]: weights [B, T], keys [B, T, E] -> [B, E].
Tensor weighted_sum(const Tensor& weights, const Tensor& keys);

}  // namespace dien
