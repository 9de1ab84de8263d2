// SPDX-License-Identifier: MIT
// Sizes and JSON from files and requests (issue 12): overflow-checked shapes and sizes
// (core/checked.h), crafted safetensors headers, crafted config.json and trainer.json numbers,
// and JSON nested 100k levels deep at every parse site (core/json_limits.h). Each case used to
// crash, wrap or be accepted.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/checked.h"
#include "core/json_limits.h"
#include "core/serialize.h"
#include "core/shape.h"
#include "data/amazon_format.h"
#include "data/csv_reader.h"
#include "data/prepare.h"
#include "data/synthetic.h"
#include "data/vocabulary.h"
#include "checkpoint_test_util.h"
#include "data_files.h"
#include "layers/init.h"
#include "model_test_util.h"
#include "models/checkpoint.h"
#include "models/ctr_model.h"
#include "models/train_state.h"
#include "serve/session.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::require_error;
using dien::test::TempDir;
using json = nlohmann::json;

namespace {

// `levels` nested arrays around 1: "[[[1]]]" for 3.
std::string nested(size_t levels) { return std::string(levels, '[') + "1" + std::string(levels, ']'); }

constexpr size_t kDeep = 100'000;

// A safetensors file with `header` and `data` as given.
std::string write_safetensors(const TempDir& dir, const std::string& name, const std::string& header,
                              const std::string& data) {
  std::string raw(8, '\0');
  for (int i = 0; i < 8; ++i) raw[i] = static_cast<char>(static_cast<uint64_t>(header.size()) >> (8 * i));
  return dir.write(name, raw + header + data);
}

// A checkpoint of a small DIEN model (config.json, model.safetensors, trainer.json).
std::string small_checkpoint(const TempDir& dir) {
  auto m = make_model(test::small_options("dien"), test::small_features());
  TrainerState st;
  st.epoch = 1;
  st.optimizer = "adam";
  st.monitor = "val_auc";
  const std::string ck = dir.file("ck");
  save_checkpoint(ck, *m, nullptr, &st);
  return ck;
}

json read_json(const std::string& path) { return json::parse(std::ifstream(path)); }

// Writes a crafted file into a checkpoint and reseals its manifest, so that the load reaches the
// check under test instead of stopping at the checksum.
void write_json_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  dien::test::reseal_manifest(std::filesystem::path(path).parent_path().string());
}

std::unique_ptr<CtrModel> load_small(const std::string& ck) {
  return load_model(ck, [](const json& c) { return make_model(c); });
}

}  // namespace

TEST_CASE("sizes: shapes whose element count overflows are refused (zero dims included)", "[hardening][cpu]") {
  const int64_t big = int64_t{1} << 62;
  require_error([&] { Shape({big, big, 0}); }, {"shape", "too many elements"});
  require_error([&] { Shape({0, big, big}); }, {"shape", "too many elements"});
  require_error([&] { Shape({int64_t{1} << 32, int64_t{1} << 32}); }, {"too many elements"});
  require_error([&] { Shape({-1, 2}); }, {"negative"});
  REQUIRE(Shape({big / 8 / 4, 4, 0}).numel() == 0);
  REQUIRE(Shape({3, 0, 5}).numel() == 0);
  REQUIRE(checked_numel({int64_t{1} << 20, int64_t{1} << 20}, "t", "x") == int64_t{1} << 40);
  require_error([&] { checked_mul(big, int64_t{4}, "op", "rows * cols"); }, {"op: rows * cols", "does not fit"});
  require_error([&] { checked_add(INT64_MAX, int64_t{1}, "op", "offset"); }, {"op: offset", "does not fit"});
}

TEST_CASE("sizes: initialisers refuse sizes whose products overflow", "[hardening][cpu]") {
  Generator gen(1);
  // rows * cols = 2^64 wrapped to 0: the old code drew 0 values and wrote 2^64 of them.
  require_error([&] { init::orthogonal(int64_t{1} << 32, int64_t{1} << 32, gen); }, {"too many elements"});
  require_error([&] { init::orthogonal_gates(3, int64_t{1} << 62, 1, gen); }, {"orthogonal_gates", "too many elements"});
  init::Initializer ini(init::Scheme::Glorot, 0.1, gen, DType::F32);
  require_error([&] { ini.recurrent_bias(int64_t{1} << 62, true); }, {"3 * hidden", "does not fit"});
}

TEST_CASE("sizes: crafted safetensors headers", "[hardening][serialize][cpu]") {
  TempDir dir;
  const std::string two(8, '\0');
  SECTION("[2^62, 2^62, 0] holds no element but overflows") {
    auto p = write_safetensors(
        dir, "zero.safetensors",
        R"({"x":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904,0],"data_offsets":[0,0]}})", "");
    require_error([&] { load_safetensors(p); }, {p, "tensor 'x'", "[4611686018427387904, 4611686018427387904, 0]",
                                                 "too many elements"});
  }
  SECTION("offsets past the end of the file") {
    auto p = write_safetensors(dir, "eof.safetensors", R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,800]}})",
                               two);
    require_error([&] { load_safetensors(p); }, {p, "'x'", "out of range"});
  }
  SECTION("negative dims") {
    auto p = write_safetensors(dir, "neg.safetensors",
                               R"({"x":{"dtype":"F32","shape":[-2,-1],"data_offsets":[0,8]}})", two);
    require_error([&] { load_safetensors(p); }, {p, "'x'", "negative"});
  }
  SECTION("nbytes and offsets disagree") {
    auto p = write_safetensors(dir, "nbytes.safetensors", R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                               two);
    require_error([&] { load_safetensors(p); }, {p, "'x'", "12 bytes", "span 8"});
  }
  SECTION("a header nested 100k levels deep") {
    auto p = write_safetensors(dir, "deep.safetensors",
                               R"({"x":{"dtype":"F32","shape":)" + nested(kDeep) + R"(,"data_offsets":[0,8]}})", two);
    require_error([&] { load_safetensors(p); }, {p, "nests deeper than 64 levels"});
    auto q = write_safetensors(dir, "deepmeta.safetensors", R"({"__metadata__":{"k":)" + nested(kDeep) + "}}", "");
    require_error([&] { load_safetensors(q); }, {q, "nests deeper than 64 levels"});
  }
}

TEST_CASE("sizes: crafted config.json layer sizes and integers are refused naming the key", "[hardening][checkpoint][cpu]") {
  TempDir dir;
  const std::string ck = small_checkpoint(dir);
  const std::string cfg = ck + "/config.json";
  const json good = read_json(cfg);
  REQUIRE(load_small(ck) != nullptr);
  auto with = [&](const std::function<void(json&)>& edit) {
    json c = good;
    edit(c);
    write_json_text(cfg, c.dump());
  };
  SECTION("dnn_hidden_units 2^62") {
    with([](json& c) { c["model"]["options"]["dnn_hidden_units"] = {4611686018427387904LL, 4}; });
    require_error([&] { load_small(ck); }, {"dnn_hidden_units'[0]", "4611686018427387904", "[1, 1048576]"});
  }
  SECTION("att_hidden_units 2.5") {
    with([](json& c) { c["model"]["options"]["att_hidden_units"] = {2.5}; });
    require_error([&] { load_small(ck); }, {"att_hidden_units'[0]", "whole number"});
  }
  SECTION("dnn_hidden_units 2^64 - 1") {
    with([](json& c) { c["model"]["options"]["dnn_hidden_units"] = {18446744073709551615ULL}; });
    require_error([&] { load_small(ck); }, {"dnn_hidden_units'[0]", "18446744073709551615"});
  }
  SECTION("embedding_dim 2^32") {
    with([](json& c) { c["model"]["features"]["features"][1]["embedding_dim"] = 4294967296LL; });
    require_error([&] { load_small(ck); }, {"$.features[1].embedding_dim", "4294967296", "[1, 1048576]"});
  }
  SECTION("vocabulary_size 2^63 - 1") {
    with([](json& c) { c["model"]["features"]["features"][0]["vocabulary_size"] = 9223372036854775807LL; });
    require_error([&] { load_small(ck); }, {"$.features[0].vocabulary_size", "9223372036854775807"});
  }
  SECTION("maxlen 1e30") {
    with([](json& c) { c["model"]["features"]["features"][4]["maxlen"] = 1e30; });
    require_error([&] { load_small(ck); }, {"maxlen", "whole number"});
  }
  SECTION("seed -1") {
    with([](json& c) { c["model"]["options"]["seed"] = -1; });
    require_error([&] { load_small(ck); }, {"seed", "whole number >= 0"});
  }
  SECTION("version 2^32 + 1") {
    with([](json& c) { c["version"] = 4294967297LL; });  // wrapped to 1 by get<int>()
    require_error([&] { read_checkpoint_config(ck); }, {cfg, "version"});
  }
  SECTION("nested 100k levels deep") {
    write_json_text(cfg, R"({"format": "dien-checkpoint", "version": )" + nested(kDeep) + "}");
    require_error([&] { read_checkpoint_config(ck); }, {cfg, "nests deeper than 64 levels"});
  }
}

TEST_CASE("sizes: trainer.json numbers are range-checked integers", "[hardening][checkpoint][cpu]") {
  TempDir dir;
  const std::string ck = small_checkpoint(dir);
  const std::string path = ck + "/trainer.json";
  const json good = read_json(path);
  REQUIRE(load_trainer_state(ck).epoch == 1);
  auto with = [&](const char* key, const json& v) {
    json j = good;
    j[key] = v;
    write_json_text(path, j.dump());
  };
  SECTION("epoch 2147483648") {
    with("epoch", 2147483648LL);  // wrapped to -2147483648: --resume ran ~2^32 epochs
    require_error([&] { load_trainer_state(ck); }, {path, "'epoch'", "2147483648"});
  }
  SECTION("epoch -1") {
    with("epoch", -1);
    require_error([&] { load_trainer_state(ck); }, {path, "'epoch'", "-1"});
  }
  SECTION("epoch 1.5") {
    with("epoch", 1.5);
    require_error([&] { load_trainer_state(ck); }, {path, "'epoch'", "whole number"});
  }
  SECTION("global_step 2^64 - 1") {
    with("global_step", 18446744073709551615ULL);
    require_error([&] { load_trainer_state(ck); }, {path, "'global_step'"});
  }
  SECTION("best_epoch after the last epoch") {
    with("best_epoch", 7);  // after the last epoch
    require_error([&] { load_trainer_state(ck); }, {path, "'best_epoch'", "[0, 1]"});
  }
  SECTION("shuffle_seed -1") {
    with("shuffle_seed", "-1");  // strtoull reads it as 2^64 - 1
    require_error([&] { load_trainer_state(ck); }, {path, "'shuffle_seed'"});
  }
  SECTION("epoch nested 30 levels") {
    with("epoch", json::parse(nested(30)));
    require_error([&] { load_trainer_state(ck); }, {path, "'epoch'", "whole number", "[[[[...]]]]"});
  }
  SECTION("nested 100k levels deep") {
    write_json_text(path, R"({"epoch": )" + nested(kDeep) + "}");
    require_error([&] { load_trainer_state(ck); }, {path, "nests deeper than 64 levels"});
  }
}

TEST_CASE("sizes: JSON nested 100k levels deep is refused at every parse site", "[hardening][cpu]") {
  TempDir dir;
  const std::string deep = nested(kDeep);
  SECTION("the helper itself, and its size limit") {
    require_error([&] { parse_json_limited(deep, "doc.json", "t"); }, {"t: doc.json", "nests deeper than 64 levels"});
    REQUIRE(parse_json_limited(nested(64), "doc.json", "t").is_array());
    require_error([&] { parse_json_limited(nested(65), "doc.json", "t"); }, {"nests deeper"});
    require_error([&] { parse_json_limited("[1, 2, 3]", "doc.json", "t", 4); }, {"doc.json", "larger than the limit of 4"});
    require_error([&] { parse_json_limited("[1, ", "doc.json", "t"); }, {"doc.json", "not valid JSON"});
  }
  SECTION("S3-Rec attributes file") {
    const std::string seq = dir.write("s.txt", "1 1 2\n");
    const std::string attr = dir.write("a.json", R"({"1": [7, )" + deep + R"(], "2": [8]})");
    require_error([&] { data::read_s3rec(seq, attr); }, {"a.json", "nests deeper than 64 levels"});
  }
  SECTION("vocabularies") {
    const std::string p = dir.write("voc.json", R"({"user": {"values": [)" + deep + "]}}");
    require_error([&] { data::AmazonVocabularies::load(p); }, {"voc.json", "nests deeper than 64 levels"});
    const std::string q = dir.write("v1.json", R"({"values": ["a", )" + deep + "]}");
    require_error([&] { data::Vocabulary::load(q); }, {"v1.json", "nests deeper than 64 levels"});
  }
  SECTION("csv spec") {
    const std::string p = dir.write("spec.json", R"({"columns": )" + deep + "}");
    require_error([&] { data::CsvSpec::load(p); }, {"spec.json", "nests deeper than 64 levels"});
  }
  SECTION("serving data slot") {
    std::shared_ptr<const CtrModel> m = make_model(test::small_options("dien"), test::small_features());
    require_error([&] { serve::Session::from_model(m, R"({"vocabularies": )" + deep + "}"); },
                  {"data slot", "nests deeper than 64 levels"});
  }
  SECTION("messages show a bounded excerpt") {
    const json v = parse_json_limited(nested(60), "x", "t");
    const std::string e = json_excerpt(v);
    REQUIRE(e.size() < 130);
    REQUIRE(e == "[[[[[...]]]]]");
    REQUIRE(json_excerpt(json(std::string(1'000'000, 'a'))).size() < 130);
    json wide = json::array();
    for (int i = 0; i < 100000; ++i) wide.push_back(i);
    REQUIRE(json_excerpt(wide).size() <= 123);
  }
}

TEST_CASE("sizes: prepare column numbers beyond the header", "[hardening][data][prepare]") {
  TempDir dir;
  data::LogOptions lo;
  // Data rows longer than the header: column 9 exists in the rows, not in the header.
  lo.path = dir.write("log.csv", "time,user,item,category\n1,U1,5,c,x,x,x,x,x\n2,U1,6,c,x,x,x,x,x\n");
  lo.time = "9";
  require_error([&] { data::read_interaction_log(lo); }, {"log.csv", "--time-column 9", "4 columns"});
  lo.time = "99999999999999999999";
  require_error([&] { data::read_interaction_log(lo); }, {"log.csv", "--time-column 99999999999999999999"});
}

TEST_CASE("sizes: synthetic generator options from config.json or --synthetic", "[hardening][data][synthetic]") {
  SECTION("maxlen 2.5") {
    data::SyntheticOptions o;
    require_error([&] { o.set("maxlen", "2.5"); }, {"option maxlen", "whole number"});
  }
  SECTION("seed -1") {
    data::SyntheticOptions o;
    require_error([&] { o.set("seed", "-1"); }, {"option seed", "whole number >= 0"});
  }
  SECTION("users x samples_per_user x maxlen overflows") {
    data::SyntheticOptions o;
    o.set("users", "4611686018427387904");
    require_error([&] { o.validate(); }, {"synthetic", "users"});
    o.users = int64_t{1} << 30;
    o.samples_per_user = int64_t{1} << 30;
    require_error([&] { o.validate(); }, {"users x samples_per_user x maxlen", "too many elements"});
  }
  SECTION("maxlen near 2^63") {
    data::SyntheticOptions o;
    o.maxlen = INT64_MAX - 8;  // items > maxlen + 32 overflowed
    require_error([&] { o.validate(); }, {"synthetic", "maxlen"});
  }
}

TEST_CASE("sizes: category ids stored in vocabularies are range-checked", "[hardening][data]") {
  const json voc = json::parse(R"({"user": {"values": ["u"]}, "item": {"values": ["a", "b"]},
                                   "category": {"values": ["c"]}, "item_category": [0, 1, -1]})");
  REQUIRE(data::AmazonVocabularies::from_json(voc, "config.json").item_category.size() == 3);
  json bad = voc;
  bad["item_category"][1] = 4611686018427387904LL;  // indexed the category table far out of range
  require_error([&] { data::AmazonVocabularies::from_json(bad, "config.json"); },
                {"config.json: item_category[1]", "4611686018427387904", "[-1, 1]"});
  bad["item_category"][1] = 0.5;
  require_error([&] { data::AmazonVocabularies::from_json(bad, "config.json"); }, {"item_category[1]", "whole number"});
}
