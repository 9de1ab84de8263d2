// SPDX-License-Identifier: MIT
// Row-sparse embedding gradients in the real models (FitOptions::embedding_grad, the default
// "sparse"): one DIEN step (target, history and negatives sharing the item table, the L2 term of
// the rows used) gives gradients equal to the dense path's bit for bit; with a 1,000,000-row
// item table a training step allocates nothing of the table's size (the dense path allocates a
// [V, E] gradient: the same check fails there, and failed before row-sparse gradients existed);
// trainer.json without the mode reads as dense.
#include <catch2/catch.hpp>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/workspace.h"
#include "data/synthetic.h"
#include "layers/embedding.h"
#include "models/trainer.h"

using namespace dien;

namespace {

data::SyntheticData small_data() {
  data::SyntheticOptions so;
  so.users = 60;
  so.items = 200;
  so.categories = 8;
  so.samples_per_user = 3;
  so.maxlen = 10;
  return data::make_synthetic(so);
}

ModelOptions dien_options() {
  ModelOptions o = ModelOptions::defaults("dien");
  o.dnn_hidden_units = {16, 8};
  o.att_hidden_units = {8, 4};
  o.gru_type = "AUGRU";
  o.use_negsampling = true;
  o.l2_reg_embedding = 0.01;  // large enough that the L2 lookup's rows matter
  return o;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

}  // namespace

TEST_CASE("sparse embedding grads: a DIEN step's gradients equal the dense path's bit for bit", "[models][cpu]") {
  data::SyntheticData d = small_data();
  std::vector<int64_t> order(64);
  for (int64_t i = 0; i < 64; ++i) order[i] = i * 2;
  data::Batch batch = d.dataset.gather(order, 0, 64);
  auto dense = make_model(dien_options(), d.features), sparse = make_model(dien_options(), d.features);
  REQUIRE(set_embedding_grad(*sparse, true) >= 2);  // item and category tables at least
  for (auto* m : {dense.get(), sparse.get()}) {
    m->train();
    ForwardResult r = m->forward(batch);
    m->loss(batch, r).backward();
  }
  const NamedParameters pd = dense->named_parameters(), ps = sparse->named_parameters();
  REQUIRE(pd.size() == ps.size());
  int tables = 0;
  for (size_t i = 0; i < pd.size(); ++i) {
    INFO(pd[i].first);
    if (pd[i].first.rfind("embedding_dict.", 0) == 0) {
      ++tables;
      REQUIRE(ps[i].second.grad_rows() != nullptr);
      REQUIRE(ps[i].second.impl()->grad == nullptr);
      if (pd[i].first == "embedding_dict.item_id.weight")  // 201 rows, a batch reads fewer
        REQUIRE(ps[i].second.grad_rows()->rows.size() < static_cast<size_t>(ps[i].second.size(0)));
    }
    REQUIRE(same_bits(ps[i].second.grad(), pd[i].second.grad()));
  }
  REQUIRE(tables >= 2);
}

TEST_CASE("sparse embedding grads: a step allocates nothing of the vocabulary's size", "[models][cpu]") {
  data::SyntheticData d = small_data();
  std::vector<int64_t> order(64);
  for (int64_t i = 0; i < 64; ++i) order[i] = i;
  data::Batch batch = d.dataset.gather(order, 0, 64);
  const std::string item_table = d.features.at("item_id").table();

  // Bytes of the blocks a training step allocates, with an item table of V rows, after a first
  // step has made the optimizer state: every CPU block of the step comes from the workspace and
  // goes back into its cache, which then holds each distinct block once.
  auto step_bytes = [&](int64_t V, bool row_sparse) {
    FeatureConfig fc = d.features;
    for (auto& f : fc.features)
      if (f.kind != FeatureKind::Dense && f.table() == item_table) f.vocabulary_size = V;
    ModelOptions o = dien_options();
    o.dnn_hidden_units = {8};
    auto m = make_model(o, fc);
    set_embedding_grad(*m, row_sparse);
    auto opt = make_optimizer("adam", m->named_parameters());
    auto step = [&] {
      opt->zero_grad();
      ForwardResult r = m->forward(batch);
      m->loss(batch, r).backward();
      opt->step();
      opt->zero_grad();
    };
    step();
    auto ws = std::make_shared<Workspace>();
    {
      WorkspaceScope scope(ws);
      step();
    }
    return ws->stats().cached_bytes;
  };
  const int64_t small = d.features.at("item_id").vocabulary_size, big = 1000000;
  const uint64_t table_bytes = static_cast<uint64_t>(big) * d.features.at("item_id").embedding_dim * sizeof(float);
  const uint64_t sparse_small = step_bytes(small, true), sparse_big = step_bytes(big, true);
  INFO("sparse step: " << sparse_small << " bytes with " << small << " items, " << sparse_big << " with " << big
                       << "; one table: " << table_bytes);
  REQUIRE(sparse_big == sparse_small);  // not one byte more for 5000 times the rows
  REQUIRE(sparse_big < table_bytes / 4);
  // The same measure sees the dense path's [V, E] gradient (and saw it before this option).
  REQUIRE(step_bytes(big, false) >= sparse_small + table_bytes);
}

TEST_CASE("sparse embedding grads: trainer.json records the mode; an old one reads as dense", "[trainer][cpu]") {
  TrainerState s;
  s.optimizer = "adam";
  nlohmann::json j = s.to_json();
  REQUIRE(j.at("embedding_grad") == "sparse");
  REQUIRE(TrainerState::from_json(j).embedding_grad == "sparse");
  j["embedding_grad"] = "dense";
  REQUIRE(TrainerState::from_json(j).embedding_grad == "dense");
  j.erase("embedding_grad");  // written before row-sparse gradients existed: those runs were dense
  REQUIRE(TrainerState::from_json(j).embedding_grad == "dense");
  j["embedding_grad"] = "lazy";
  REQUIRE_THROWS_AS(TrainerState::from_json(j), Error);
  FitOptions o;
  o.embedding_grad = "lazy";
  REQUIRE_THROWS_AS(o.validate(), Error);
}
