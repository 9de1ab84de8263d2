// SPDX-License-Identifier: MIT
// Prediction needs only features: no labels, no aux-loss negatives; the auxiliary branch runs only
// in training; a batch's size comes from its feature columns.
#include <catch2/catch.hpp>

#include "model_test_util.h"
#include "models/predictor.h"

using namespace dien;
using dien::test::kAllGruTypes;
using dien::test::require_error;
using dien::test::small_batch;
using dien::test::small_features;
using dien::test::small_options;
using dien::test::values;

namespace {

data::Batch without(data::Batch b, const std::vector<std::string>& names) {
  for (const auto& n : names) b.x.erase(n);
  return b;
}
const std::vector<std::string> kNegColumns = {"neg_hist_item_id", "neg_hist_cate_id"};

// The model kinds and gru types, each with and without negative sampling (DIEN only).
std::vector<ModelOptions> every_model() {
  std::vector<ModelOptions> out;
  for (const auto& gt : kAllGruTypes)
    for (bool neg : {true, false}) {
      ModelOptions o = small_options("dien", gt);
      o.use_negsampling = neg;
      out.push_back(o);
    }
  out.push_back(small_options("din"));
  out.push_back(small_options("base"));
  return out;
}

std::string label(const ModelOptions& o) {
  return o.kind + (o.kind == "dien" ? " " + o.gru_type + (o.use_negsampling ? " with negatives" : " without") : "");
}

}  // namespace

TEST_CASE("inference: a batch's size comes from its features", "[inference][cpu]") {
  Generator g(3);
  data::Batch b = small_batch(g, {5, 2, 0, 3});
  REQUIRE(b.size() == 4);
  b.y = Tensor();
  REQUIRE(b.size() == 4);
  data::Batch labels_only;
  labels_only.y = from_vector<float>({1, 0}, Shape{2});
  REQUIRE(labels_only.size() == 2);
  REQUIRE(data::Batch().size() == 0);
}

TEST_CASE("inference: every model predicts an unlabeled batch without negatives", "[inference][cpu]") {
  for (const ModelOptions& o : every_model()) {
    INFO(label(o));
    auto m = std::shared_ptr<CtrModel>(make_model(o, small_features()));
    Generator g(17);
    data::Batch full = small_batch(g, {5, 1, 0, 3, 2});
    const std::vector<double> want = values(m->predict(full));
    data::Batch bare = without(full, kNegColumns);
    bare.y = Tensor();
    REQUIRE(values(m->predict(bare)) == want);
    Predictor p(m);
    std::vector<float> got = p.predict(bare);
    REQUIRE(got.size() == 5);
    for (size_t i = 0; i < got.size(); ++i) REQUIRE(static_cast<double>(got[i]) == want[i]);
    // Eval-mode forward computes no auxiliary loss, so it never reads the negatives.
    m->eval();
    ForwardResult r = m->forward(bare);
    REQUIRE(!r.aux_loss.defined());
    REQUIRE(r.logits.shape() == Shape{5});
  }
}

TEST_CASE("inference: the auxiliary branch runs in training only", "[inference][cpu]") {
  for (const auto& gt : kAllGruTypes) {
    INFO(gt);
    auto m = make_model(small_options("dien", gt), small_features());
    Generator g(5);
    data::Batch b = small_batch(g, {5, 4, 3});
    REQUIRE(m->run(b, /*training=*/true).aux_loss.defined());
    REQUIRE(!m->run(b, /*training=*/false).aux_loss.defined());
    // Asked for explicitly in eval semantics (the DeepCTR-Torch parity test does this).
    REQUIRE(m->run(b, /*training=*/false, /*aux=*/true).aux_loss.defined());
    // Training with negative sampling needs the negatives, and says which column is missing.
    require_error([&] { m->run(without(b, kNegColumns), true); }, {"no column 'neg_hist_item_id'"});
  }
  // A DIEN trained without negatives has no auxiliary net and never asks for them.
  ModelOptions o = small_options("dien", "AUGRU");
  o.use_negsampling = false;
  auto m = make_model(o, small_features());
  Generator g(6);
  data::Batch b = without(small_batch(g, {5, 4, 3}), kNegColumns);
  REQUIRE(!m->run(b, true).aux_loss.defined());
  for (const auto& [name, t] : m->named_parameters()) REQUIRE(name.find("auxiliary_net") == std::string::npos);
}
