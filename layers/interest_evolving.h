// SPDX-License-Identifier: MIT
// InterestEvolving (DIEN's interest evolving layer; DeepCTR-Torch's names under this module):
//   attention "attention.local_att.*" (DIN local activation unit, query = target [B, E], keys =
//   the extractor's interest states), or with attention = "bilinear" "bilinear.weight" (paper
//   Eq. 8, always softmax-normalised);
//   gru_type GRU:   "interest_evolution.*_l0" (nn.GRU) over the interests, then the attention-
//                   weighted sum of its outputs (the attention's keys are then the GRU outputs);
//   gru_type AIGRU: a GRU ("interest_evolution.*_l0") over att_t * interest_t; final state;
//   gru_type AGRU / AUGRU: "interest_evolution.rnn.{weight_ih,weight_hh,bias_ih,bias_hh}"
//                   (DeepCTR-Torch's DynamicGRU -> AGRUCell/AUGRUCell) scanned with the attention
//                   scores; each row's last valid state. AUGRU: augru_form "paper" is the cell
//                   DeepCTR-Torch computes (u = a*z, h = (1-u) h + u n, RnnCell::AugruPaper);
//                   "reference" the authors' VecAttGRUCell (RnnCell::AugruReference).
// Output [B, E]; a length-0 row gives zeros.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "layers/attention.h"
#include "layers/gru_params.h"

namespace dien {

enum class GruType : uint8_t { Gru, Aigru, Agru, Augru };
GruType parse_gru_type(const std::string& s);  // GRU | AIGRU | AGRU | AUGRU

struct EvolvingOptions {
  GruType gru_type = GruType::Gru;
  std::vector<int64_t> att_hidden_units = {64, 16};
  std::string att_activation = "relu";
  bool att_weight_normalization = true;
  std::string attention = "din";          // din | bilinear
  std::string augru_form = "reference";   // reference | paper
};

class InterestEvolving : public Module {
 public:
  InterestEvolving(int64_t input_size, const EvolvingOptions& opt, init::Initializer& init);
  // query [B, E], interests [B, T, E], lengths [B] -> [B, E].
  Tensor forward(const Tensor& query, const Tensor& interests, const Tensor& lengths, bool training, bool fused,
                 GateLayout layout) const;
  // Attention weights [B, T] of `keys` for `query` (the DIN unit's, or bilinear softmax).
  Tensor attention_weights_of(const Tensor& query, const Tensor& keys, const Tensor& lengths, bool training,
                              bool fused) const;

 private:
  int64_t dim_;
  EvolvingOptions opt_;
  RnnCell cell_ = RnnCell::Gru;
  std::shared_ptr<AttentionSequencePooling> attention_;
  std::shared_ptr<BilinearAttention> bilinear_;
  std::shared_ptr<GruParams> gru_;  // GRU / AIGRU: "interest_evolution"; AGRU/AUGRU: "interest_evolution.rnn"
};

}  // namespace dien
