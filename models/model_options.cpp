// SPDX-License-Identifier: MIT
// ModelOptions: per-kind defaults (DeepCTR-Torch's), validation, JSON.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "core/checked.h"
#include "core/json_limits.h"
#include "layers/activation.h"
#include "models/ctr_model.h"

namespace dien {

ModelOptions ModelOptions::defaults(const std::string& kind) {
  ModelOptions o;  // the member initialisers are DeepCTR-Torch's DIEN defaults
  if (kind == "dien" || kind == "base") {
    o.kind = kind;
  } else if (kind == "din") {
    o.kind = "din";
    o.use_bn = false;  // DIN's dnn_use_bn
    o.att_hidden_units = {64, 16};
    o.att_activation = "dice";
    o.att_weight_normalization = false;
    o.l2_reg_embedding = 1e-6;
    o.init_std = 1e-4;
    o.seed = 1024;
  } else {
    fail("ModelOptions", "unknown kind '", kind, "' (expected dien, din or base)");
  }
  return o;
}

namespace {
void one_of(const char* option, const std::string& v, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed)
    if (v == a) return;
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  fail("ModelOptions", "option ", option, " = '", v, "' is not one of: ", list);
}
void units(const char* option, const std::vector<int64_t>& u) {
  if (u.empty()) fail("ModelOptions", "option ", option, " is empty");
  for (size_t i = 0; i < u.size(); ++i)
    if (u[i] <= 0 || u[i] > kMaxWidth)
      fail("ModelOptions", "option ", option, "[", i, "] = ", u[i], " must lie in [1, ", kMaxWidth, "]");
}
void nonneg(const char* option, double v) {
  if (!(v >= 0) || !std::isfinite(v)) fail("ModelOptions", "option ", option, " = ", v, " must be finite and >= 0");
}
}  // namespace

void ModelOptions::validate() const {
  one_of("kind", kind, {"dien", "din", "base"});
  one_of("gru_type", gru_type, {"GRU", "AIGRU", "AGRU", "AUGRU"});
  nonneg("alpha", alpha);
  units("dnn_hidden_units", dnn_hidden_units);
  units("att_hidden_units", att_hidden_units);
  try {
    parse_activation(dnn_activation, "dnn_activation");
    parse_activation(att_activation, "att_activation");
  } catch (const Error& e) {
    fail("ModelOptions", e.what());
  }
  nonneg("l2_reg_dnn", l2_reg_dnn);
  nonneg("l2_reg_embedding", l2_reg_embedding);
  if (!(dnn_dropout >= 0 && dnn_dropout < 1)) fail("ModelOptions", "option dnn_dropout = ", dnn_dropout, " must lie in [0, 1)");
  nonneg("init_std", init_std);
  one_of("task", task, {"binary", "regression"});
  try {
    Device::parse(device);
  } catch (const Error& e) {
    fail("ModelOptions", "option device = '", device, "': ", e.what());
  }
  one_of("init", init, {"glorot", "deepctr"});
  one_of("augru_form", augru_form, {"reference", "paper"});
  one_of("gate_layout", gate_layout, {"lbr", "rbl"});
  one_of("attention", attention, {"din", "bilinear"});
  one_of("network", network, {"deepctr", "authors"});
  one_of("loss_reduction", loss_reduction, {"mean", "sum"});
  one_of("l2_embedding_scope", l2_embedding_scope, {"batch", "all"});
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

namespace {
template <class T>
void get(const nlohmann::json& j, const char* key, T& dst) {
  auto it = j.find(key);
  if (it == j.end()) return;
  try {
    dst = it->template get<T>();
  } catch (const nlohmann::json::exception& e) {
    fail("ModelOptions::from_json", "key '", key, "': ", e.what());
  }
}
// Integers are range-checked: get<int64_t>() would wrap 2^64 - 1 to -1 and truncate 2.5.
void get(const nlohmann::json& j, const char* key, std::vector<int64_t>& dst) {
  auto it = j.find(key);
  if (it == j.end()) return;
  if (!it->is_array())
    fail("ModelOptions::from_json", "key '", key, "' must be an array of integers, got ", json_excerpt(*it));
  std::vector<int64_t> v;
  for (size_t i = 0; i < it->size(); ++i)
    v.push_back(json_integer((*it)[i], 1, kMaxWidth, "ModelOptions::from_json",
                             "key '" + std::string(key) + "'[" + std::to_string(i) + "]"));
  dst = v;
}
void get(const nlohmann::json& j, const char* key, uint64_t& dst) {
  auto it = j.find(key);
  if (it == j.end()) return;
  if (!it->is_number_unsigned())
    fail("ModelOptions::from_json", "key '", key, "' must be a whole number >= 0, got ", json_excerpt(*it));
  dst = it->get<uint64_t>();
}
}  // namespace

ModelOptions ModelOptions::from_json(const nlohmann::json& j) {
  if (!j.is_object()) fail("ModelOptions::from_json", "expected a JSON object, got ", j.type_name());
  std::string kind = "dien";
  get(j, "kind", kind);
  ModelOptions o = defaults(kind);
  static const char* known[] = {"kind", "gru_type", "use_negsampling", "alpha", "use_bn", "dnn_hidden_units",
                                "dnn_activation", "att_hidden_units", "att_activation", "att_weight_normalization",
                                "l2_reg_dnn", "l2_reg_embedding", "dnn_dropout", "init_std", "seed", "task", "device",
                                "init", "augru_form", "gate_layout", "attention", "network", "loss_reduction",
                                "l2_embedding_scope", "fused"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find_if(std::begin(known), std::end(known), [&](const char* k) { return it.key() == k; }) == std::end(known))
      fail("ModelOptions::from_json", "unknown key '", it.key(), "'");
  get(j, "gru_type", o.gru_type);
  get(j, "use_negsampling", o.use_negsampling);
  get(j, "alpha", o.alpha);
  get(j, "use_bn", o.use_bn);
  get(j, "dnn_hidden_units", o.dnn_hidden_units);
  get(j, "dnn_activation", o.dnn_activation);
  get(j, "att_hidden_units", o.att_hidden_units);
  get(j, "att_activation", o.att_activation);
  get(j, "att_weight_normalization", o.att_weight_normalization);
  get(j, "l2_reg_dnn", o.l2_reg_dnn);
  get(j, "l2_reg_embedding", o.l2_reg_embedding);
  get(j, "dnn_dropout", o.dnn_dropout);
  get(j, "init_std", o.init_std);
  get(j, "seed", o.seed);
  get(j, "task", o.task);
  get(j, "device", o.device);
  get(j, "init", o.init);
  get(j, "augru_form", o.augru_form);
  get(j, "gate_layout", o.gate_layout);
  get(j, "attention", o.attention);
  get(j, "network", o.network);
  get(j, "loss_reduction", o.loss_reduction);
  get(j, "l2_embedding_scope", o.l2_embedding_scope);
  get(j, "fused", o.fused);
  return o;
}

}  // namespace dien
