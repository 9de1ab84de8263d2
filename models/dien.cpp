// SPDX-License-Identifier: MIT
#include "models/dien.h"

#include <algorithm>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "layers/attention.h"
#include "models/inputs.h"

namespace dien {

DienModel::DienModel(ModelOptions options, FeatureConfig features) : CtrModel(std::move(options), std::move(features)) {
  const ModelOptions& o = options_;
  const FeatureConfig& fc = features_;
  if (fc.history_features.empty()) fail("DIEN", "the feature config names no history feature");
  for (const auto& f : fc.history_features) {
    hist_.push_back("hist_" + f);
    neg_hist_.push_back("neg_hist_" + f);
    interest_dim_ += fc.at(f).embedding_dim;
    if (o.use_negsampling && !fc.find("neg_hist_" + f))
      fail("DIEN", "use_negsampling needs the varlen feature 'neg_hist_", f, "'");
  }
  sparse_ = model_inputs::names_of(fc, FeatureKind::Sparse);
  for (const auto& s : sparse_)
    if (std::find(fc.history_features.begin(), fc.history_features.end(), s) == fc.history_features.end())
      profile_.push_back(s);
  layout_ = o.gate_layout == "rbl" ? GateLayout::ResetBeforeLinear : GateLayout::LinearBeforeReset;

  Generator gen(o.seed);
  init::Initializer init(init::parse_scheme(o.init), o.init_std, gen, DType::F32);
  embedding_dict_ = register_module("embedding_dict", std::make_shared<EmbeddingDict>(features_, init));
  out_ = register_module("out", std::make_shared<OutBias>(DType::F32));
  extractor_ = register_module("interest_extractor",
                               std::make_shared<InterestExtractor>(interest_dim_, o.use_negsampling, init));
  EvolvingOptions eo;
  eo.gru_type = parse_gru_type(o.gru_type);
  eo.att_hidden_units = o.att_hidden_units;
  eo.att_activation = o.att_activation;
  eo.att_weight_normalization = o.att_weight_normalization;
  eo.attention = o.attention;
  eo.augru_form = o.augru_form;
  evolving_ = register_module("interest_evolution", std::make_shared<InterestEvolving>(interest_dim_, eo, init));

  int64_t dense_dim = 0;
  for (const auto* f : fc.of_kind(FeatureKind::Dense)) dense_dim += f->dimension;
  int64_t in = 0;
  bool dnn_bn = o.use_bn;
  if (o.network == "authors") {
    for (const auto& s : profile_) in += fc.at(s).embedding_dim;
    in += 4 * interest_dim_ + dense_dim;
    if (o.use_bn) input_bn_ = register_module("input_bn", std::make_shared<BatchNorm1d>(in, 1e-5, 0.1, DType::F32));
    dnn_bn = false;
  } else {
    for (const auto& s : sparse_) in += fc.at(s).embedding_dim;
    in += interest_dim_ + dense_dim;
  }
  dnn_ = register_module("dnn", std::make_shared<DNN>(in, o.dnn_hidden_units, o.dnn_activation, o.l2_reg_dnn,
                                                      o.dnn_dropout, dnn_bn, init));
  dnn_->set_dropout_generator(&rng());
  linear_ = register_module("linear", std::make_shared<Linear>(o.dnn_hidden_units.back(), 1, false, gen));
  init::assign(linear_->weight(), init.dense_weight(1, o.dnn_hidden_units.back()));
}

ForwardResult DienModel::run(const data::Batch& batch, bool training, bool aux) const {
  const ModelOptions& o = options_;
  const EmbeddingDict& emb = *embedding_dict_;
  Tensor query = model_inputs::sparse_concat(emb, batch, features_.history_features);  // [B, E]
  Tensor keys = model_inputs::varlen_concat(emb, batch, hist_);                         // [B, T, E]
  Tensor lengths = model_inputs::lengths_of(features_, batch, hist_[0]);
  Tensor neg = aux && o.use_negsampling ? model_inputs::varlen_concat(emb, batch, neg_hist_) : Tensor();

  ExtractorOutput ex = extractor_->forward(keys, lengths, neg, training, o.fused, layout_);
  Tensor final_interest = evolving_->forward(query, ex.states, lengths, training, o.fused, layout_);

  TensorList parts;
  if (o.network == "authors") {
    if (!profile_.empty()) parts.push_back(model_inputs::sparse_concat(emb, batch, profile_));
    Tensor hsum = model_inputs::pool(keys, lengths, "sum");
    parts.push_back(query);
    parts.push_back(hsum);
    parts.push_back(query * hsum);
    parts.push_back(final_interest);
  } else {
    parts.push_back(final_interest);
    parts.push_back(model_inputs::sparse_concat(emb, batch, sparse_));
  }
  Tensor dense = model_inputs::dense_concat(features_, batch, query.dtype());
  if (dense.defined()) parts.push_back(dense.to(query.device()));
  Tensor x = concat(parts, 1);
  if (input_bn_) x = input_bn_->forward(x, training);
  Tensor logit = linear_->forward(dnn_->forward(x, training));  // [B, 1]
  ForwardResult r;
  r.logits = reshape(logit, {logit.size(0)}) + out_->bias();
  r.aux_loss = ex.aux_loss;
  return r;
}

Tensor DienModel::regularization_loss(const data::Batch& batch) const {
  std::vector<std::string> used = sparse_;
  used.insert(used.end(), hist_.begin(), hist_.end());
  // The negatives are rows the batch uses only where it has them (training batches do).
  if (options_.use_negsampling && batch.x.count(neg_hist_[0]))
    used.insert(used.end(), neg_hist_.begin(), neg_hist_.end());
  // A zero weight computes and back-propagates nothing (no lookup of the batch's rows).
  if (options_.l2_reg_embedding == 0.0) return dnn_->l2_loss();
  Tensor e = options_.l2_embedding_scope == "all" ? embedding_dict_->l2_all() : embedding_dict_->l2_used(batch, used);
  return e * options_.l2_reg_embedding + dnn_->l2_loss();
}

}  // namespace dien
