// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/csv_reader.h"
#include "data_files.h"
#include "support/test_util.h"

using namespace dien::data;
using dien::test::require_error;

namespace {
const char* kSpec = R"({"delimiter": ",", "header": true,
  "columns": [
    {"name": "label", "role": "label"},
    {"name": "user_id", "role": "sparse", "embedding_dim": 4},
    {"name": "item_id", "role": "sparse", "embedding_dim": 4},
    {"name": "price", "role": "dense"},
    {"name": "hist_item_id", "role": "varlen", "separator": "|", "maxlen": 3, "length": "seq_length",
     "embedding_name": "item_id", "embedding_dim": 4},
    {"name": "seq_length", "role": "length"},
    {"name": "note", "role": "ignore"}],
  "history_features": ["item_id"], "group": "user_id"})";
const std::string kHeader = "label,user_id,item_id,price,hist_item_id,seq_length,note\n";
}  // namespace

TEST_CASE("csv: a spec'd file becomes columns with shared tables", "[data][csv]") {
  dien::test::TempDir dir;
  CsvSpec spec = CsvSpec::from_json(nlohmann::json::parse(kSpec));
  const std::string f = dir.write("t.csv", kHeader + "1,u1,a,2.5,b|c,2,x\n0,u2,c,1,,0,y\n1,u1,b,0.5,a|b|c,3,z\n");
  CsvVocabularies v = build_csv_vocabularies(f, spec);
  REQUIRE(v.count("item_id") == 1);  // hist_item_id shares the item table
  REQUIRE(v.count("hist_item_id") == 0);
  LoadedData d = load_csv(f, spec, v);
  const Dataset& ds = d.dataset;
  REQUIRE(ds.rows() == 3);
  REQUIRE(ds.labels == std::vector<float>{1, 0, 1});
  REQUIRE(ds.columns.at("price").values == std::vector<float>{2.5f, 1.0f, 0.5f});
  REQUIRE(ds.columns.at("seq_length").ids == std::vector<int64_t>{2, 0, 3});
  const auto& item = v.at("item_id");
  const auto& h = ds.columns.at("hist_item_id").ids;
  REQUIRE(h == std::vector<int64_t>{*item.find("b"), *item.find("c"), 0, 0, 0, 0, *item.find("a"), *item.find("b"),
                                    *item.find("c")});
  REQUIRE(ds.groups == std::vector<int64_t>{1, 2, 1});
  REQUIRE(d.features.at("hist_item_id").table() == "item_id");
  save_csv_vocabularies(dir.file("v.json"), v);
  CsvVocabularies w = load_csv_vocabularies(dir.file("v.json"));
  REQUIRE(w.at("item_id").value(1) == item.value(1));
}

TEST_CASE("csv: bad input names the place", "[data][csv]") {
  dien::test::TempDir dir;
  CsvSpec spec = CsvSpec::from_json(nlohmann::json::parse(kSpec));
  auto load = [&](const std::string& body) {
    const std::string f = dir.write("t.csv", body);
    CsvVocabularies v = build_csv_vocabularies(f, spec);
    load_csv(f, spec, v);
  };
  require_error([&] { load(kHeader + "1,u1,a,2.5,b|c,2\n"); }, {"read_csv", "t.csv:2", "expected 7 columns, got 6"});
  require_error([&] { load(kHeader + "1,u1,a,cheap,b|c,2,x\n"); }, {"t.csv:2:4", "column 'price'", "'cheap'"});
  require_error([&] { load(kHeader + "1,u1,a,1,b|c|a|b,3,x\n"); }, {"t.csv:2:5", "hist_item_id[4]", "not padding"});
  require_error([&] { load(kHeader + "1,u1,a,1,b|c,-1,x\n"); }, {"t.csv:2:6", "length -1 outside"});
  require_error([&] { load(kHeader + "1,u1,a,1,b|c,3,x\n"); }, {"t.csv:2:6", "has only 2 values"});
  require_error([&] { load("label,user,item_id,price,hist_item_id,seq_length,note\n"); },
                {"t.csv:1:2", "header names 'user'", "expects 'user_id'"});
  require_error([&] { load(kHeader); }, {"no data rows"});
  require_error([&] { load(""); }, {"file is empty"});
  // an id outside the training vocabulary
  const std::string train = dir.write("train.csv", kHeader + "1,u1,a,1,b,1,x\n");
  CsvVocabularies v = build_csv_vocabularies(train, spec);
  const std::string test = dir.write("test.csv", kHeader + "1,u1,a,1,b|q,2,x\n");
  require_error([&] { load_csv(test, spec, v); }, {"t", "test.csv:2:5", "hist_item_id[2]", "'q'", "not in the vocabulary"});
  // the spec itself
  require_error([] { CsvSpec::from_json(nlohmann::json::parse(R"({"columns": [{"name": "a", "role": "wide"}]})")); },
                {"columns[0].role", "unknown role 'wide'"});
  require_error([] { CsvSpec::from_json(nlohmann::json::parse(R"({"columns": [{"name": "a", "role": "sparse"}]})")); },
                {"exactly one column with role 'label'"});
}

TEST_CASE("csv: truncate keeps the most recent values; chunks stream", "[data][csv]") {
  dien::test::TempDir dir;
  auto j = nlohmann::json::parse(kSpec);
  j["columns"][4]["truncate"] = true;
  j["columns"][5]["role"] = "ignore";  // lengths counted from the tokens
  j["chunk_rows"] = 1;
  CsvSpec spec = CsvSpec::from_json(j);
  const std::string f = dir.write("t.csv", kHeader + "1,u1,a,1,a|b|c|d,9,x\n0,u2,b,1,d,9,x\n");
  CsvVocabularies v = build_csv_vocabularies(f, spec);
  std::vector<Dataset> chunks;
  read_csv(f, spec, v, [&](Dataset&& c) { chunks.push_back(std::move(c)); });
  REQUIRE(chunks.size() == 2);
  const auto& item = v.at("item_id");
  REQUIRE(chunks[0].columns.at("hist_item_id").ids == std::vector<int64_t>{*item.find("b"), *item.find("c"), *item.find("d")});
  REQUIRE(chunks[1].columns.at("seq_length").ids == std::vector<int64_t>{1});
}
