// SPDX-License-Identifier: MIT
// DIN (Zhou et al. 2018) as DeepCTR-Torch builds it:
//   query = concat_f emb(f) [B, E] over the history features f, keys = concat_f emb(hist_<f>)
//   [B, T, E]; "attention" = AttentionSequencePooling(E, att_hidden_units, att_activation,
//   att_weight_normalization) pools the keys by the query [B, E];
//   dnn input = [every sparse feature's embedding (config order), each other varlen feature
//   (not hist_/neg_hist_) pooled by its combiner over its valid steps, the attention-pooled
//   history, dense values] -> "dnn" -> "dnn_linear" (Linear(H, 1), no bias) -> + "out.bias".
// DIN's defaults differ from DIEN's: ModelOptions::defaults("din").
#pragma once
#include "models/base_model.h"

namespace dien {

// The base model with the history pooled by attention instead of summed (the only difference,
// so one implementation serves both: models/base_model.cpp).
class DinModel : public BaseCtrModel {
 public:
  DinModel(ModelOptions options, FeatureConfig features)
      : BaseCtrModel(std::move(options), std::move(features), /*attention=*/true) {}
};

}  // namespace dien
