// SPDX-License-Identifier: MIT
// InterestExtractor (DIEN's interest extractor layer, DeepCTR-Torch's names):
//   "gru" (torch nn.GRU names "gru.weight_ih_l0" ...; hidden = input size E) over the behaviour
//   embeddings keys [B, T, E] with lengths [B] -> interest states [B, T, E], zero past each length.
//   With negatives: "auxiliary_net" = DNN(2E, [100, 50, 1], sigmoid) (a sigmoid after every layer,
//   so it outputs a probability) scores concat(h_t, e_{t+1}) and concat(h_t, e'_{t+1}) for
//   t < length - 1; aux loss = aux_bce(p_pos, p_neg, lengths): the mean of the 2n BCE terms over
//   the n valid pairs, 0 when there is none.
// Rows of length 0 are legal (states 0, no aux pair); an all-zero-length batch gives zero
// states and aux loss 0 (DeepCTR-Torch returns a 1-tuple there).
#pragma once
#include <cstdint>
#include <memory>

#include "layers/dnn.h"
#include "layers/gru_params.h"

namespace dien {

struct ExtractorOutput {
  Tensor states;    // [B, T, E]
  Tensor aux_loss;  // [] or undefined without negatives
};

class InterestExtractor : public Module {
 public:
  InterestExtractor(int64_t input_size, bool use_neg, init::Initializer& init);
  // neg_keys: [B, T, E] or undefined (then no aux loss even with use_neg).
  ExtractorOutput forward(const Tensor& keys, const Tensor& lengths, const Tensor& neg_keys, bool training,
                          bool fused, GateLayout layout) const;
  bool use_neg() const { return use_neg_; }
  const DNN* auxiliary_net() const { return aux_.get(); }

 private:
  int64_t dim_;
  bool use_neg_;
  std::shared_ptr<GruParams> gru_;
  std::shared_ptr<DNN> aux_;
};

}  // namespace dien
