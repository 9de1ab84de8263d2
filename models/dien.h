// SPDX-License-Identifier: MIT
// DIEN (Zhou et al. 2019) as DeepCTR-Torch builds it, where DeepCTR-Torch is not wrong
// (docs/model.md lists the differences).
//
// Inputs (FeatureConfig): history features f (fc.history_features) with sparse f, varlen
// "hist_<f>" and, with use_negsampling, "neg_hist_<f>". Other varlen features are not used (as in
// DeepCTR-Torch).
//   query  = concat_f emb(f)            [B, E]      (E = sum of the history features' dims)
//   keys   = concat_f emb(hist_<f>)     [B, T, E]   neg keys likewise from neg_hist_<f>
//   interests, aux = interest_extractor(keys, lengths, neg keys)
//   final  = interest_evolution(query, interests, lengths)        [B, E]
// network "deepctr": dnn input = [final, every sparse feature's embedding (config order, the
//   target's included), dense values (config order)]
// network "authors" (the authors' TF model): dnn input = [embeddings of the sparse features that
//   are not history features (user profile), query, sum_t keys (valid steps), query * sum_t keys,
//   final, dense values]; with use_bn a BatchNorm1d "input_bn" over that input (the authors'
//   bn1) and no batch norm inside the DNN. Units and activation still come from
//   dnn_hidden_units / dnn_activation: set {200, 80} and "dice" for the authors' network.
//   logits = linear(dnn(input)) + out.bias     ("linear.weight" [1, H], "out.bias" [1])
//
// Parameter names are DeepCTR-Torch's state dict names: embedding_dict.<table>.weight, out.bias,
// interest_extractor.gru.{weight_ih_l0,...}, interest_extractor.auxiliary_net.linears.<i>.*,
// interest_evolution.attention.local_att.{dnn.linears.<i>.*, dnn.activation_layers.<i>.*,
// dense.*}, interest_evolution.interest_evolution.{weight_ih_l0,...} (GRU, AIGRU) or
// interest_evolution.interest_evolution.rnn.{weight_ih,...} (AGRU, AUGRU), dnn.linears.<i>.*,
// dnn.bn.<i>.*, dnn.activation_layers.<i>.*, linear.weight.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "layers/batch_norm.h"
#include "layers/dnn.h"
#include "layers/embedding.h"
#include "layers/interest_evolving.h"
#include "layers/interest_extractor.h"
#include "models/ctr_model.h"

namespace dien {

// PredictionLayer's bias: "bias" [1] = 0.
class OutBias : public Module {
 public:
  explicit OutBias(DType dtype) : bias_(register_parameter("bias", dien::zeros({1}, dtype))) {}
  const Tensor& bias() const { return bias_; }

 private:
  Tensor bias_;
};

class DienModel : public CtrModel {
 public:
  DienModel(ModelOptions options, FeatureConfig features);
  Tensor regularization_loss(const data::Batch& batch) const override;

  using CtrModel::run;
  // Eval or training forward without touching the module's mode (predict uses training=false);
  // the auxiliary net and the neg_hist_* lookups run only with aux (and use_negsampling).
  ForwardResult run(const data::Batch& batch, bool training, bool aux) const override;
  const EmbeddingDict& embeddings() const { return *embedding_dict_; }

 private:
  std::vector<std::string> hist_, neg_hist_, sparse_, profile_;
  int64_t interest_dim_ = 0;
  GateLayout layout_;
  std::shared_ptr<EmbeddingDict> embedding_dict_;
  std::shared_ptr<OutBias> out_;
  std::shared_ptr<InterestExtractor> extractor_;
  std::shared_ptr<InterestEvolving> evolving_;
  std::shared_ptr<BatchNorm1d> input_bn_;
  std::shared_ptr<DNN> dnn_;
  std::shared_ptr<Linear> linear_;
};

}  // namespace dien
