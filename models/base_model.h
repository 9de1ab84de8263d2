// SPDX-License-Identifier: MIT
// The base model (embedding + pooling + MLP), the "Embedding & MLP" baseline of the DIN/DIEN
// papers: dnn input = [every sparse feature's embedding, each history sequence hist_<f> summed
// over its valid steps (masked sum pooling), each other varlen feature (not hist_/neg_hist_)
// pooled by its combiner, dense values] -> "dnn" -> "dnn_linear" (no bias) -> + "out.bias".
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

class BaseCtrModel : public CtrModel {
 public:
  // attention: pool the history by DIN's attention to the target instead of summing it (DinModel).
  BaseCtrModel(ModelOptions options, FeatureConfig features, bool attention = false);
  Tensor regularization_loss(const data::Batch& batch) const override;
  using CtrModel::run;
  ForwardResult run(const data::Batch& batch, bool training, bool aux) const override;  // no aux loss

 private:
  std::vector<std::string> hist_, sparse_, other_varlen_;
  std::shared_ptr<EmbeddingDict> embedding_dict_;
  std::shared_ptr<OutBias> out_;
  std::shared_ptr<AttentionSequencePooling> attention_;  // DIN only
  std::shared_ptr<DNN> dnn_;
  std::shared_ptr<Linear> dnn_linear_;
};

}  // namespace dien
