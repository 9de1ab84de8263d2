// SPDX-License-Identifier: MIT
// CtrModel: the loss, device moves, config and the model factory.
#include "models/ctr_model.h"

#include "autograd/grad_mode.h"

#include <nlohmann/json.hpp>

#include "autograd/functions.h"
#include "models/base_model.h"
#include "models/dien.h"
#include "models/din.h"

namespace dien {

Tensor CtrModel::predict(const data::Batch& batch) const {
  NoGradGuard no_grad;
  Tensor logits = run(batch, false).logits;
  return options_.task == "binary" ? sigmoid(logits) : logits;
}

Device CtrModel::device() const {
  auto p = named_parameters();
  if (p.empty()) return Device::cpu();
  return p.front().second.device();
}

Tensor CtrModel::loss(const data::Batch& batch, const ForwardResult& r) const {
  if (!r.logits.defined()) fail("CtrModel::loss", "the forward result has no logits");
  Tensor y = batch.y;
  if (!y.defined() || y.ndim() != 1 || y.size(0) != r.logits.size(0))
    fail("CtrModel::loss", "labels must be [", r.logits.size(0), "], got ", y.defined() ? y.describe() : "undefined");
  y = y.to(r.logits.dtype());
  const Reduction red = options_.loss_reduction == "sum" ? Reduction::Sum : Reduction::Mean;
  Tensor total = options_.task == "regression" ? mse(r.logits, y, red) : bce_with_logits(r.logits, y, red);
  if (r.aux_loss.defined() && options_.alpha != 0) total = total + r.aux_loss * options_.alpha;
  return total + regularization_loss(batch);
}

void CtrModel::to(Device device) {
  Module::to(device);
  options_.device = device.str();
}

nlohmann::json CtrModel::config() const {
  return nlohmann::json{{"options", options_.to_json()}, {"features", features_.to_json()}};
}

std::unique_ptr<CtrModel> make_model(const ModelOptions& options, const FeatureConfig& features) {
  options.validate();
  features.validate();
  std::unique_ptr<CtrModel> m;
  if (options.kind == "dien")
    m = std::make_unique<DienModel>(options, features);
  else if (options.kind == "din")
    m = std::make_unique<DinModel>(options, features);
  else
    m = std::make_unique<BaseCtrModel>(options, features);
  const Device d = Device::parse(options.device);
  if (d != Device::cpu()) m->to(d);
  return m;
}

std::unique_ptr<CtrModel> make_model(const nlohmann::json& config) {
  if (!config.is_object() || !config.contains("options") || !config.contains("features"))
    fail("make_model", "config must be an object with \"options\" and \"features\"");
  return make_model(ModelOptions::from_json(config.at("options")), FeatureConfig::from_json(config.at("features")));
}

}  // namespace dien
