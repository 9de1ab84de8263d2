// SPDX-License-Identifier: MIT
#include "layers/interest_extractor.h"

#include <vector>

namespace dien {

InterestExtractor::InterestExtractor(int64_t input_size, bool use_neg, init::Initializer& init)
    : dim_(input_size), use_neg_(use_neg) {
  gru_ = register_module("gru", std::make_shared<GruParams>(input_size, input_size, "_l0", false, init));
  if (use_neg)
    aux_ = register_module("auxiliary_net", std::make_shared<DNN>(2 * input_size, std::vector<int64_t>{100, 50, 1},
                                                                  "sigmoid", 0.0, 0.0, false, init));
}

ExtractorOutput InterestExtractor::forward(const Tensor& keys, const Tensor& lengths, const Tensor& neg_keys,
                                           bool training, bool fused, GateLayout layout) const {
  if (!keys.defined() || keys.ndim() != 3 || keys.size(2) != dim_)
    fail("InterestExtractor", "expected keys [B, T, ", dim_, "], got ", keys.defined() ? keys.describe() : "undefined");
  ExtractorOutput out;
  out.states = gru_->scan(RnnCell::Gru, keys, lengths, Tensor(), layout, fused).states;
  if (!use_neg_ || !neg_keys.defined()) return out;
  if (neg_keys.shape() != keys.shape())
    fail("InterestExtractor", "neg_keys ", neg_keys.describe(), " must have the shape of keys ", keys.describe());
  const int64_t B = keys.size(0), T = keys.size(1);
  if (T < 2) {  // no (h_t, e_{t+1}) pair exists
    out.aux_loss = dien::zeros(Shape{}, keys.dtype(), keys.device());
    return out;
  }
  if (!fused) {  // DeepCTR-Torch's composition: the aux net over every pair, padding masked after
    Tensor h = slice(out.states, 1, 0, T - 1);
    Tensor pos_in = concat({h, slice(keys, 1, 1, T)}, 2);  // [B, T-1, 2E]
    Tensor neg_in = concat({h, slice(neg_keys, 1, 1, T)}, 2);
    Tensor p_pos = reshape(aux_->forward(pos_in, training), {B, T - 1});
    Tensor p_neg = reshape(aux_->forward(neg_in, training), {B, T - 1});
    out.aux_loss = aux_bce_unfused(p_pos, p_neg, lengths);
    return out;
  }
  // Fused: the aux net runs on the valid pairs only (t < len - 1; on the synthetic data about 60%
  // of the padded grid), positives and negatives in one pass. Rows are picked with the
  // differentiable row gather gather_rows(matrix, rows); the n pairs then form one row of aux_bce,
  // whose mean over its 2n terms is the loss of the unfused path. The first layer's product with
  // [h_t, e] (W = [W_h | W_e]) is h_t W_hᵀ + b, once for both partners of a pair, plus e W_eᵀ: no
  // [h_t, e] input is built.
  std::vector<int64_t> len = lengths.to(Device::cpu()).to(DType::I64).to_vector<int64_t>();
  std::vector<int64_t> rows, next;  // (b, t) and (b, t + 1) as rows of the [B*T, .] matrices
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t + 1 < len[static_cast<size_t>(b)]; ++t) {
      rows.push_back(b * T + t);
      next.push_back(b * T + t + 1);
    }
  const int64_t n = static_cast<int64_t>(rows.size());
  if (n == 0) {
    out.aux_loss = dien::zeros(Shape{}, keys.dtype(), keys.device());
    return out;
  }
  const Tensor idx = index_tensor(rows, Shape{n}, keys.device());
  const Tensor idx_next = index_tensor(next, Shape{n}, keys.device());
  Tensor h = gather_rows(reshape(out.states, {B * T, dim_}), idx);                    // [n, E]
  Tensor e = concat({gather_rows(reshape(keys, {B * T, dim_}), idx_next),              // [2n, E]
                     gather_rows(reshape(neg_keys, {B * T, dim_}), idx_next)}, 0);
  const Linear& first = *aux_->linears()[0];
  Tensor w_h = slice(first.weight(), 1, 0, dim_), w_e = slice(first.weight(), 1, dim_, 2 * dim_);
  // h W_hᵀ + b once, then e W_eᵀ for both halves starting from it (no [2, n, 100] add pass), then
  // the rest of the net in the same node
  Tensor p = reshape(aux_->forward_from_parts(e, w_e, linear(h, w_h, first.bias()), training), {2, n});
  Tensor one_row = index_tensor(std::vector<int64_t>{n + 1}, Shape{1}, keys.device());
  out.aux_loss = aux_bce(slice(p, 0, 0, 1), slice(p, 0, 1, 2), one_row);
  return out;
}

}  // namespace dien
