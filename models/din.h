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
#include <memory>
#include <string>
#include <vector>

#include "layers/attention.h"
#include "layers/dnn.h"
#include "layers/embedding.h"
#include "models/ctr_model.h"
#include "models/dien.h"

namespace dien {

class DinModel : public CtrModel {
 public:
  DinModel(ModelOptions options, FeatureConfig features);
  Tensor regularization_loss(const data::Batch& batch) const override;
  ForwardResult run(const data::Batch& batch, bool training) const override;

 private:
  std::vector<std::string> hist_, sparse_, other_varlen_;
  std::shared_ptr<EmbeddingDict> embedding_dict_;
  std::shared_ptr<OutBias> out_;
  std::shared_ptr<AttentionSequencePooling> attention_;
  std::shared_ptr<DNN> dnn_;
  std::shared_ptr<Linear> dnn_linear_;
};

}  // namespace dien
