// SPDX-License-Identifier: MIT
// INTERIM, tests only: the non-virtual members of CtrModel (models/ctr_model.h) that the trainer,
// checkpoint and predictor tests link against, while the real models/ctr_model.cpp is written on
// another branch. tests/CMakeLists.txt compiles this file only when no models/*.cpp defines
// CtrModel::loss, so it drops out by itself once the real file is merged. It follows the
// contract of ctr_model.h (loss = main + alpha * aux + regularization) for the options the test
// model uses; ModelOptions JSON covers every field but validates nothing.
#include <nlohmann/json.hpp>

#include "autograd/functions.h"
#include "models/ctr_model.h"

namespace dien {

Device CtrModel::device() const {
  NamedParameters ps = named_parameters();
  return ps.empty() ? Device::cpu() : ps.front().second.device();
}

void CtrModel::to(Device device) {
  if (!device.is_cpu()) fail("CtrModel::to", "the interim test build moves nothing off the CPU");
}

Tensor CtrModel::loss(const data::Batch& batch, const ForwardResult& r) const {
  Reduction red = options_.loss_reduction == "sum" ? Reduction::Sum : Reduction::Mean;
  Tensor main = options_.task == "regression" ? dien::mse(r.logits, batch.y, red) : bce_with_logits(r.logits, batch.y, red);
  if (r.aux_loss.defined()) main = main + r.aux_loss * options_.alpha;
  Tensor reg = regularization_loss(batch);
  return reg.defined() ? main + reg : main;
}

nlohmann::json ModelOptions::to_json() const {
  return nlohmann::json{{"kind", kind},
                        {"gru_type", gru_type},
                        {"use_negsampling", use_negsampling},
                        {"alpha", alpha},
                        {"use_bn", use_bn},
                        {"dnn_hidden_units", dnn_hidden_units},
                        {"dnn_activation", dnn_activation},
                        {"att_hidden_units", att_hidden_units},
                        {"att_activation", att_activation},
                        {"att_weight_normalization", att_weight_normalization},
                        {"l2_reg_dnn", l2_reg_dnn},
                        {"l2_reg_embedding", l2_reg_embedding},
                        {"dnn_dropout", dnn_dropout},
                        {"init_std", init_std},
                        {"seed", seed},
                        {"task", task},
                        {"device", device},
                        {"init", init},
                        {"augru_form", augru_form},
                        {"gate_layout", gate_layout},
                        {"attention", attention},
                        {"network", network},
                        {"loss_reduction", loss_reduction},
                        {"l2_embedding_scope", l2_embedding_scope},
                        {"fused", fused}};
}

nlohmann::json CtrModel::config() const { return nlohmann::json{{"options", options_.to_json()}, {"features", features_.to_json()}}; }

}  // namespace dien
