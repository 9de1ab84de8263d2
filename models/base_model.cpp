// SPDX-License-Identifier: MIT
#include "models/base_model.h"

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "models/inputs.h"

namespace dien {

BaseCtrModel::BaseCtrModel(ModelOptions options, FeatureConfig features, bool attention)
    : CtrModel(std::move(options), std::move(features)) {
  const ModelOptions& o = options_;
  const FeatureConfig& fc = features_;
  if (fc.history_features.empty())
    fail(attention ? "DIN" : "base model", "the feature config names no history feature");
  int64_t att_dim = 0;  // the pooled history's width
  for (const auto& f : fc.history_features) {
    hist_.push_back("hist_" + f);
    att_dim += fc.at(f).embedding_dim;
  }
  sparse_ = model_inputs::names_of(fc, FeatureKind::Sparse);
  other_varlen_ = model_inputs::other_varlen(fc);
  Generator gen(o.seed);
  init::Initializer init(init::parse_scheme(o.init), o.init_std, gen, DType::F32);
  embedding_dict_ = register_module("embedding_dict", std::make_shared<EmbeddingDict>(features_, init));
  out_ = register_module("out", std::make_shared<OutBias>(DType::F32));
  if (attention)
    attention_ = register_module("attention", std::make_shared<AttentionSequencePooling>(
                                                  att_dim, o.att_hidden_units, o.att_activation,
                                                  o.att_weight_normalization, false, init));
  int64_t in = att_dim;
  for (const auto& s : sparse_) in += fc.at(s).embedding_dim;
  for (const auto& s : other_varlen_) in += fc.at(s).embedding_dim;
  for (const auto* f : fc.of_kind(FeatureKind::Dense)) in += f->dimension;
  dnn_ = register_module("dnn", std::make_shared<DNN>(in, o.dnn_hidden_units, o.dnn_activation, o.l2_reg_dnn,
                                                      o.dnn_dropout, o.use_bn, init));
  dnn_->set_dropout_generator(&rng());
  dnn_linear_ = register_module("dnn_linear", std::make_shared<Linear>(o.dnn_hidden_units.back(), 1, false, gen));
  init::assign(dnn_linear_->weight(), init.dense_weight(1, o.dnn_hidden_units.back()));
}

ForwardResult BaseCtrModel::run(const data::Batch& batch, bool training, bool /*aux*/) const {
  const EmbeddingDict& emb = *embedding_dict_;
  Tensor keys = model_inputs::varlen_concat(emb, batch, hist_);
  Tensor lengths = model_inputs::lengths_of(features_, batch, hist_[0]);
  TensorList parts{model_inputs::sparse_concat(emb, batch, sparse_)};
  for (const auto& v : other_varlen_)
    parts.push_back(model_inputs::pool(emb.lookup(v, batch.at(v)), model_inputs::lengths_of(features_, batch, v),
                                       features_.at(v).combiner));
  if (attention_) {  // DIN: the history pooled by attention to the target
    Tensor query = model_inputs::sparse_concat(emb, batch, features_.history_features);
    parts.push_back(attention_->forward(query, keys, lengths, training, options_.fused));
  } else {
    parts.push_back(model_inputs::pool(keys, lengths, "sum"));
  }
  Tensor dense = model_inputs::dense_concat(features_, batch, keys.dtype());
  if (dense.defined()) parts.push_back(dense.to(keys.device()));
  Tensor logit = dnn_linear_->forward(dnn_->forward(concat(parts, 1), training));
  ForwardResult r;
  r.logits = reshape(logit, {logit.size(0)}) + out_->bias();
  return r;
}

Tensor BaseCtrModel::regularization_loss(const data::Batch& batch) const {
  std::vector<std::string> used = sparse_;
  used.insert(used.end(), hist_.begin(), hist_.end());
  used.insert(used.end(), other_varlen_.begin(), other_varlen_.end());
  // A zero weight computes and back-propagates nothing (no lookup of the batch's rows).
  if (options_.l2_reg_embedding == 0.0) return dnn_->l2_loss();
  Tensor e = options_.l2_embedding_scope == "all" ? embedding_dict_->l2_all() : embedding_dict_->l2_used(batch, used);
  return e * options_.l2_reg_embedding + dnn_->l2_loss();
}

}  // namespace dien
