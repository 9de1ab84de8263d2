// SPDX-License-Identifier: MIT
// FeatureConfig validation and JSON round trip; Dataset gather/subset/append/shuffle.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/rng.h"
#include "data/dataset.h"
#include "data/features.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::require_error;

namespace {
FeatureConfig small_config() {
  FeatureConfig fc;
  fc.features = {FeatureSpec::sparse("user_id", 10, 4), FeatureSpec::sparse("item_id", 20, 4),
                 FeatureSpec::dense("price", 2),
                 FeatureSpec::varlen("hist_item_id", 20, 4, 3, "seq_length", "item_id"),
                 FeatureSpec::varlen("neg_hist_item_id", 20, 4, 3, "seq_length", "item_id")};
  fc.history_features = {"item_id"};
  fc.group = "user_id";
  return fc;
}

data::Dataset small_dataset() {
  data::Dataset d = data::Dataset::empty(small_config());
  for (int64_t r = 0; r < 4; ++r) {
    d.columns["user_id"].ids.push_back(r + 1);
    d.columns["item_id"].ids.push_back(10 + r);
    d.columns["price"].values.insert(d.columns["price"].values.end(), {0.5f * r, -1.f * r});
    const int64_t len = r % 4;  // 0, 1, 2, 3
    for (int64_t t = 0; t < 3; ++t) {
      d.columns["hist_item_id"].ids.push_back(t < len ? 1 + t + r : 0);
      d.columns["neg_hist_item_id"].ids.push_back(t < len ? 15 + t : 0);
    }
    d.columns["seq_length"].ids.push_back(len);
    d.labels.push_back(static_cast<float>(r % 2));
    d.groups.push_back(r / 2);
  }
  return d;
}
}  // namespace

TEST_CASE("feature config: JSON round trip keeps every field", "[data][features]") {
  FeatureConfig fc = small_config();
  FeatureConfig back = FeatureConfig::from_json(nlohmann::json::parse(fc.to_json().dump()));
  REQUIRE(back.to_json() == fc.to_json());
  REQUIRE(back.at("hist_item_id").table() == "item_id");
  REQUIRE(back.at("price").dimension == 2);
  REQUIRE(back.has_negatives());
  REQUIRE(back.length_columns() == std::vector<std::string>{"seq_length"});
}

TEST_CASE("feature config: validation names the feature", "[data][features]") {
  FeatureConfig fc = small_config();
  fc.features.push_back(FeatureSpec::sparse("item_id", 5, 4));
  require_error([&] { fc.validate(); }, {"item_id", "declared twice"});
  fc = small_config();
  fc.features[3].embedding_dim = 8;
  require_error([&] { fc.validate(); }, {"hist_item_id", "item_id", "share embedding table"});
  fc = small_config();
  fc.history_features = {"cate_id"};
  require_error([&] { fc.validate(); }, {"history feature 'cate_id'"});
  fc = small_config();
  fc.features[4].maxlen = 5;
  require_error([&] { fc.validate(); }, {"neg_hist_item_id", "maxlen"});
  require_error([] { FeatureConfig::from_json(nlohmann::json::parse(R"({"features":[{"name":"a"}]})")); },
                {"$.features[0]", "vocabulary_size"});
  require_error([] { (void)small_config().at("nope"); }, {"no feature named 'nope'", "user_id"});
}

TEST_CASE("dataset: gather builds the batch tensors of the chosen rows", "[data][dataset]") {
  data::Dataset d = small_dataset();
  d.check_consistent();
  std::vector<int64_t> order{3, 1};
  data::Batch b = d.gather(order, 0, 2);
  REQUIRE(b.size() == 2);
  REQUIRE(b.at("hist_item_id").shape() == Shape{2, 3});
  REQUIRE(b.at("hist_item_id").to_vector<int64_t>() == std::vector<int64_t>{4, 5, 6, 2, 0, 0});
  REQUIRE(b.at("seq_length").to_vector<int64_t>() == std::vector<int64_t>{3, 1});
  REQUIRE(b.at("price").to_vector<float>() == std::vector<float>{1.5f, -3.f, 0.5f, -1.f});
  REQUIRE(b.y.to_vector<float>() == std::vector<float>{1.f, 1.f});
  REQUIRE(b.groups.to_vector<int64_t>() == std::vector<int64_t>{1, 0});
  // varlen columns are cut to the batch's longest history
  data::Batch short_rows = d.gather(std::vector<int64_t>{1, 2}, 0, 2);
  REQUIRE(short_rows.at("hist_item_id").shape() == Shape{2, 2});
  REQUIRE(short_rows.at("hist_item_id").to_vector<int64_t>() == std::vector<int64_t>{2, 0, 3, 4});
  REQUIRE(short_rows.at("neg_hist_item_id").shape() == Shape{2, 2});
  data::Batch empty_rows = d.gather(std::vector<int64_t>{0}, 0, 1);  // length 0: one padded step
  REQUIRE(empty_rows.at("hist_item_id").shape() == Shape{1, 1});
  require_error([&] { (void)b.at("cate_id"); }, {"no column 'cate_id'", "hist_item_id"});
  require_error([&] { d.gather(std::vector<int64_t>{7}, 0, 1); }, {"row 7", "outside [0, 4)"});
}

TEST_CASE("dataset: subset, append and a seeded shuffle", "[data][dataset]") {
  data::Dataset d = small_dataset();
  data::Dataset s = d.subset({2, 0});
  REQUIRE(s.rows() == 2);
  REQUIRE(s.columns["item_id"].ids == std::vector<int64_t>{12, 10});
  s.append(d);
  REQUIRE(s.rows() == 6);
  s.check_consistent();
  REQUIRE(s.columns["seq_length"].ids == std::vector<int64_t>{2, 0, 0, 1, 2, 3});
  Generator g1(5), g2(5);
  auto o1 = d.shuffled_order(g1), o2 = d.shuffled_order(g2);
  REQUIRE(o1 == o2);
  std::vector<int64_t> sorted = o1;
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(sorted == std::vector<int64_t>{0, 1, 2, 3});
  d.columns["seq_length"].ids[1] = 4;
  require_error([&] { d.check_consistent(); }, {"row 1", "seq_length", "= 4", "hist_item_id"});
  d.columns["price"].values.pop_back();
  require_error([&] { d.check_consistent(); }, {"column 'price'"});
}
