// SPDX-License-Identifier: MIT
// Layer construction and errors (layers/): initialisers, activations, DNN, embedding dictionary.
// Gradients are checked in tests/gradcheck/test_gradcheck_layers.cpp, whole models in
// test_models.cpp.
#include "layers/activation.h"
#include "layers/dnn.h"
#include "layers/embedding.h"
#include "layers/init.h"
#include "model_test_util.h"

using namespace dien;
using dien::test::require_error;
using dien::test::values;

TEST_CASE("layers: orthogonal gives orthonormal rows or columns; glorot bound", "[layers]") {
  Generator g(1);
  for (auto [r, c] : {std::pair<int64_t, int64_t>{4, 4}, {3, 6}, {6, 3}}) {
    std::vector<double> w = values(init::orthogonal(r, c, g, DType::F64));
    const bool rows = r <= c;
    const int64_t n = rows ? r : c, len = rows ? c : r;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double d = 0;
        for (int64_t k = 0; k < len; ++k) d += rows ? w[i * c + k] * w[j * c + k] : w[k * c + i] * w[k * c + j];
        REQUIRE(d == Approx(i == j ? 1.0 : 0.0).margin(1e-12));
      }
  }
  const double b = std::sqrt(6.0 / (30 + 20));
  for (double v : values(init::glorot_uniform(20, 30, g))) REQUIRE(std::fabs(v) <= b);
  require_error([&] { init::orthogonal(0, 3, g); }, {"orthogonal"});
  require_error([] { init::parse_scheme("he"); }, {"init", "he"});
}

TEST_CASE("layers: activations and DNN check their inputs", "[layers]") {
  Generator g(2);
  init::Initializer ini(init::Scheme::Glorot, 0.0, g);
  require_error([] { parse_activation("swish", "DNN"); }, {"DNN", "swish"});
  Activation prelu(ActKind::PRelu, 3);
  REQUIRE(values(prelu.state_dict().at("weight")) == std::vector<double>{0.25});
  REQUIRE(values(prelu.forward(from_vector<float>({-2.f, 1.f, 4.f}, Shape{1, 3}), false)) ==
          std::vector<double>{-0.5, 1, 4});
  Activation dice(ActKind::Dice, 3, 2);
  require_error([&] { dice.forward(zeros({2, 2, 3}), true); }, {"Dice", "dice_dim"});
  DNN dnn(4, {3}, "relu", 0, 0, true, ini);
  require_error([&] { dnn.forward(zeros({2, 5}), true); }, {"DNN", "[2, 5]"});
  require_error([&] { DNN(4, {}, "relu", 0, 0, false, ini); }, {"DNN", "hidden_units"});
  require_error([&] { DNN(4, {3}, "relu", 0, 1.0, false, ini); }, {"DNN", "dropout_rate"});
  // Eval-mode batch norm does not touch the running statistics.
  auto rm = values(dnn.state_dict().at("bn.0.running_mean"));
  dnn.forward(uniform({5, 4}, -1, 1, g), false);
  REQUIRE(values(dnn.state_dict().at("bn.0.running_mean")) == rm);
  dnn.forward(uniform({5, 4}, -1, 1, g), true);
  REQUIRE(values(dnn.state_dict().at("bn.0.running_mean")) != rm);
}

TEST_CASE("layers: embedding dict shares tables by embedding_name; L2 of used rows", "[layers]") {
  Generator g(3);
  init::Initializer ini(init::Scheme::Glorot, 0.0, g);
  FeatureConfig fc = test::small_features();
  EmbeddingDict emb(fc, ini);
  std::vector<std::string> names;
  for (auto& [n, t] : emb.named_parameters()) names.push_back(n);
  REQUIRE(names == std::vector<std::string>{"user_id.weight", "item_id.weight", "cate_id.weight", "tags.weight"});
  REQUIRE(emb.table_of("hist_item_id").same(emb.table("item_id")));
  require_error([&] { emb.lookup("price", from_vector<int64_t>({0})); }, {"price", "dense"});
  require_error([&] { emb.lookup("nope", from_vector<int64_t>({0})); }, {"nope"});
  require_error([&] { emb.lookup("item_id", from_vector<int64_t>({11})); }, {"item_id"});
  // Rows used: item_id ids {2, 2} and hist ids {5, 2 | padding 7} with lengths {2, 0} -> rows {2, 5}.
  data::Batch b;
  b.x["item_id"] = from_vector<int64_t>({2, 2});
  b.x["hist_item_id"] = from_vector<int64_t>({5, 2, 7, 7, 7, 7}, Shape{2, 3});
  b.x["seq_length"] = from_vector<int64_t>({2, 0});
  b.y = zeros({2});
  std::vector<double> w = values(emb.table("item_id"));
  double want = 0;
  for (int64_t row : {2, 5})
    for (int64_t e = 0; e < 4; ++e) want += w[row * 4 + e] * w[row * 4 + e];
  REQUIRE(emb.l2_used(b, {"item_id", "hist_item_id"}).item() == Approx(want).epsilon(1e-6));
  double all = 0;
  for (const char* t : {"user_id", "item_id", "cate_id", "tags"})
    for (double v : values(emb.table(t))) all += v * v;
  REQUIRE(emb.l2_all().item() == Approx(all).epsilon(1e-6));
}
