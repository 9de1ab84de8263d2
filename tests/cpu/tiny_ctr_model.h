// SPDX-License-Identifier: MIT
// A tiny CtrModel for the trainer, checkpoint and predictor tests (the real DIEN/DIN/base models
// live in models/): logistic regression over the concatenated embeddings of two sparse features
// and one dense feature, logit = w . [E_user[u], E_item[i], price] + b, with the L2 term of
// ctr_model.h on the embedding rows the batch uses. Plus a generated dataset whose click
// probability depends on user, item and price, with users as GAUC groups.
#pragma once
#include <atomic>
#include <cmath>
#include <memory>

#include <nlohmann/json.hpp>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "layers/linear.h"
#include "models/ctr_model.h"

namespace dien::test {

inline FeatureConfig tiny_features() {
  FeatureConfig fc;
  fc.features = {FeatureSpec::sparse("user_id", 40, 4), FeatureSpec::sparse("item_id", 60, 4),
                 FeatureSpec::dense("price")};
  fc.group = "user_id";
  fc.validate();
  return fc;
}

class TinyCtrModel : public CtrModel {
 public:
  TinyCtrModel(ModelOptions opt, FeatureConfig fc) : CtrModel(std::move(opt), std::move(fc)) {
    Generator gen(options_.seed);
    auto tables = register_module("embedding_dict", std::make_shared<Module>());
    user_ = tables->register_parameter("user_id", normal({40, 4}, 0, 0.1, gen));
    item_ = tables->register_parameter("item_id", normal({60, 4}, 0, 0.1, gen));
    out_ = register_module("out", std::make_shared<Linear>(9, 1, true, gen));
  }

  using CtrModel::run;
  ForwardResult run(const data::Batch& b, bool, bool) const override { return {logits(b), Tensor()}; }

  Tensor regularization_loss(const data::Batch& b) const override {
    Tensor eu = embedding(user_, b.at("user_id")), ei = embedding(item_, b.at("item_id"));
    return (sum(eu * eu) + sum(ei * ei)) * options_.l2_reg_embedding;
  }

 protected:
  Tensor logits(const data::Batch& b) const {
    Tensor x = concat({embedding(user_, b.at("user_id")), embedding(item_, b.at("item_id")), b.at("price")}, 1);
    return reshape(out_->forward(x), {-1});
  }
  Tensor user_, item_;
  std::shared_ptr<Linear> out_;
};

// The same model with a predict() that leaves grad mode as it finds it, recording whether its
// output carried a graph: shows that the Predictor itself turns graph recording off.
class UngardedTinyModel : public TinyCtrModel {
 public:
  using TinyCtrModel::TinyCtrModel;
  Tensor predict(const data::Batch& b) const override {
    Tensor p = sigmoid(logits(b));
    if (p.grad_fn()) ++outputs_with_graph;
    return p;
  }
  mutable std::atomic<int> outputs_with_graph{0};
};

inline ModelOptions tiny_options() {
  ModelOptions o;
  o.kind = "tiny";
  o.seed = 7;
  return o;
}

// What load_model needs to rebuild the tiny model from config.json's "model" object.
inline std::unique_ptr<CtrModel> make_tiny_model(const nlohmann::json& config) {
  ModelOptions o = tiny_options();
  o.seed = config.at("options").at("seed").get<uint64_t>();
  o.l2_reg_embedding = config.at("options").at("l2_reg_embedding").get<double>();
  return std::make_unique<TinyCtrModel>(o, FeatureConfig::from_json(config.at("features")));
}

// n rows: user u ~ U[0,40), item i ~ U[0,60), price ~ N(0,1); P(click) = sigmoid(bias_u + bias_i
// + 0.8 price), with fixed per-user and per-item biases. Groups are the users.
inline data::Dataset tiny_dataset(int64_t n, uint64_t seed) {
  Generator g(seed);
  data::Dataset d = data::Dataset::empty(tiny_features());
  for (int64_t r = 0; r < n; ++r) {
    int64_t u = static_cast<int64_t>(g.randint(40)), i = static_cast<int64_t>(g.randint(60));
    double price = std::sqrt(-2 * std::log(1 - g.uniform01())) * std::cos(6.283185307179586 * g.uniform01());
    double z = 1.5 * std::sin(0.7 * static_cast<double>(u)) + std::cos(1.3 * static_cast<double>(i)) + 0.8 * price;
    d.columns["user_id"].ids.push_back(u);
    d.columns["item_id"].ids.push_back(i);
    d.columns["price"].values.push_back(static_cast<float>(price));
    d.labels.push_back(g.uniform01() < 1 / (1 + std::exp(-z)) ? 1.f : 0.f);
    d.groups.push_back(u);
  }
  d.check_consistent();
  return d;
}

}  // namespace dien::test
