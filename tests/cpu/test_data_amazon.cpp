// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "core/error.h"
#include "data/amazon_format.h"
#include "data_files.h"
#include "support/test_util.h"

using namespace dien::data;
using dien::test::require_error;

namespace {
const std::string kGood =
    "0\tA\ti9\tc2\ti1\x02i2\x02i3\tc1\x02" "c1\x02" "c2\n"
    "1\tA\ti4\tc2\ti1\x02i2\x02i3\tc1\x02" "c1\x02" "c2\n"
    "1\tB\ti1\tc1\ti4\tc2\n"
    "0\tC\ti2\tc1\t\t\n";
}

TEST_CASE("amazon: reads, maps ids, keeps order, truncates to the most recent", "[data][amazon]") {
  dien::test::TempDir dir;
  const std::string f = dir.write("train.txt", kGood);
  AmazonVocabularies v = AmazonVocabularies::build(f);
  REQUIRE(v.user.num_values() == 3);
  REQUIRE(v.item.num_values() == 5);
  REQUIRE(v.category.num_values() == 2);
  AmazonOptions o;
  o.maxlen = 2;
  LoadedData d = load_amazon(f, v, o);
  const Dataset& ds = d.dataset;
  REQUIRE(ds.rows() == 4);
  REQUIRE(ds.labels == std::vector<float>{0, 1, 1, 0});
  REQUIRE(ds.columns.at("seq_length").ids == std::vector<int64_t>{2, 2, 1, 0});
  const auto& hi = ds.columns.at("hist_item_id").ids;
  // row 0: i1 i2 i3 truncated to the most recent two, oldest first
  REQUIRE(hi[0] == *v.item.find("i2"));
  REQUIRE(hi[1] == *v.item.find("i3"));
  REQUIRE(hi[6] == 0);  // row 3: empty history is all padding
  REQUIRE(ds.columns.at("hist_cate_id").ids[1] == *v.category.find("c2"));
  REQUIRE(ds.groups[0] == ds.groups[1]);
  REQUIRE(ds.groups[0] != ds.groups[2]);
  // negatives avoid the visible history and carry the item's category
  const auto& ni = ds.columns.at("neg_hist_item_id").ids;
  const auto& nc = ds.columns.at("neg_hist_cate_id").ids;
  for (int t = 0; t < 2; ++t) {
    REQUIRE(ni[static_cast<size_t>(t)] != hi[0]);
    REQUIRE(ni[static_cast<size_t>(t)] != hi[1]);
    REQUIRE(nc[static_cast<size_t>(t)] == v.item_category[static_cast<size_t>(ni[static_cast<size_t>(t)])]);
  }
  REQUIRE(d.features.has_negatives());
}

TEST_CASE("amazon: chunks give the same rows as one load; vocabularies round trip", "[data][amazon]") {
  dien::test::TempDir dir;
  const std::string f = dir.write("train.txt", kGood);
  AmazonVocabularies v = AmazonVocabularies::build(f);
  v.save(dir.file("voc.json"));
  AmazonVocabularies w = AmazonVocabularies::load(dir.file("voc.json"));
  REQUIRE(w.item_category == v.item_category);
  AmazonOptions o;
  LoadedData all = load_amazon(f, v, o);
  o.chunk_rows = 3;
  std::vector<int64_t> sizes;
  Dataset joined = Dataset::empty(all.features);
  read_amazon(f, w, o, [&](Dataset&& c) {
    sizes.push_back(c.rows());
    joined.append(c);
  });
  REQUIRE(sizes == std::vector<int64_t>{3, 1});
  REQUIRE(joined.labels == all.dataset.labels);
  REQUIRE(joined.columns.at("neg_hist_item_id").ids == all.dataset.columns.at("neg_hist_item_id").ids);
}

TEST_CASE("amazon: unknown ids with training vocabularies: error or bucket", "[data][amazon]") {
  dien::test::TempDir dir;
  AmazonVocabularies v = AmazonVocabularies::build(dir.write("train.txt", kGood));
  const std::string test = dir.write("test.txt", "1\tA\ti4\tc2\ti1\x02zz\tc1\x02" "c1\n");
  AmazonOptions o;
  require_error([&] { load_amazon(test, v, o); }, {"test.txt:1:5", "item_history", "'zz'", "not in the vocabulary"});
  v.set_policy(OovPolicy::Bucket);
  LoadedData d = load_amazon(test, v, o);
  REQUIRE(d.dataset.columns.at("hist_item_id").ids[1] == v.item.oov_id());
  REQUIRE(v.item.oov_count() == 1);
}

TEST_CASE("amazon: bad input names the place", "[data][amazon]") {
  dien::test::TempDir dir;
  auto build = [&](const std::string& text) { AmazonVocabularies::build(dir.write("bad.txt", text)); };
  require_error([&] { build("1\tA\ti1\tc1\ti2\n"); }, {"read_amazon", "bad.txt:1", "expected 6 columns, got 5"});
  require_error([&] { build("1\tA\ti1\tc1\t\t\nx\tA\ti1\tc1\t\t\n"); },
                {"bad.txt:2:1", "column 'label'", "'x'"});
  require_error([&] { build("2\tA\ti1\tc1\t\t\n"); }, {"bad.txt:1:1", "label must be 0 or 1", "'2'"});
  require_error([&] { build("1\tA\ti1\tc1\ti2\x02i3\tc1\n"); },
                {"bad.txt:1:6", "item history has 2 values but the category history has 1"});
  require_error([&] { build("1\tA\ti1\tc1\ti2\x02\tc1\x02" "c2\n"); }, {"bad.txt:1:5", "empty value at history position 2"});
  require_error([&] { build(""); }, {"read_amazon", "bad.txt", "file is empty"});
  require_error([&] { AmazonVocabularies::build(dir.file("nope.txt")); }, {"cannot open", "nope.txt"});
}

TEST_CASE("amazon: writer is atomic and refuses non-binary labels", "[data][amazon]") {
  dien::test::TempDir dir;
  const std::string f = dir.write("train.txt", kGood);
  AmazonVocabularies v = AmazonVocabularies::build(f);
  LoadedData d = load_amazon(f, v, AmazonOptions{});
  const std::string out = dir.write("out.txt", "precious\n");
  d.dataset.labels[2] = 0.5f;
  require_error([&] { write_amazon(out, d.dataset); }, {"write_amazon", "row 2", "not 0 or 1"});
  REQUIRE(dien::test::TempDir::read(out) == "precious\n");  // untouched
  REQUIRE_FALSE(std::filesystem::exists(out + ".tmp"));
  d.dataset.labels[2] = 1.0f;
  write_amazon(out, d.dataset);
  REQUIRE(dien::test::TempDir::read(out).substr(0, 2) == "0\t");
}
