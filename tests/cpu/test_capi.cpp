// SPDX-License-Identifier: MIT
// The C API (capi/dien.h) on a checkpoint in the Amazon format with string vocabularies: version,
// statuses and per-thread messages, corrupt and incompatible checkpoints refused at open, OOV
// policies, category columns derived from items, caller buffers, the user-state cache calls.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "capi/dien.h"
#include "checkpoint_test_util.h"
#include "data/amazon_format.h"
#include "data_files.h"
#include "model_test_util.h"
#include "models/checkpoint.h"
#include "serve/session.h"

using namespace dien;
using test::TempDir;

namespace {

data::AmazonVocabularies vocabularies() {
  data::AmazonVocabularies v;
  v.user = data::Vocabulary({"alice", "bob", "carol"});
  v.item = data::Vocabulary({"book", "pen", "ink", "lamp", "desk", "mug"});
  v.category = data::Vocabulary({"paper", "office", "home"});
  v.item_category = {0, 1, 2, 2, 3, 3, 3};  // book: paper; pen, ink: office; the rest: home
  v.item_count.assign(7, 1);
  return v;
}

// A DIEN checkpoint with the vocabularies above in `dir`. without_oov_rows: tables of values + 1
// rows, as models trained on the synthetic data have (no unknown values, no row for them).
void write_checkpoint(const std::string& dir, const std::string& gru = "AUGRU", bool without_oov_rows = false) {
  data::AmazonVocabularies v = vocabularies();
  data::AmazonOptions ao;
  ao.maxlen = 6;
  ao.embedding_dim = 3;
  FeatureConfig fc = data::amazon_features(v, ao);
  if (without_oov_rows)
    for (auto& f : fc.features)
      if (f.kind != FeatureKind::Dense) f.vocabulary_size -= 1;
  auto m = make_model(test::small_options("dien", gru), fc);
  nlohmann::json slot{{"format", "amazon"}, {"maxlen", 6}, {"embedding_dim", 3}, {"seed", 1},
                      {"vocabularies", v.to_json()}, {"excluded_features", nlohmann::json::array()}};
  save_checkpoint(dir, *m, nullptr, nullptr, slot);
}

struct Session {
  dien_session* s = nullptr;
  ~Session() { dien_session_close(s); }
};
struct Req {
  dien_request* r = nullptr;
  ~Req() { dien_request_destroy(r); }
};

dien_status fill(dien_request* r, bool categories = true) {
  const char* hist[] = {"book", "pen", "lamp"};
  const char* hist_c[] = {"paper", "office", "home"};
  const char* cand[] = {"ink", "mug"};
  const char* cand_c[] = {"office", "home"};
  dien_status st = dien_request_set_user(r, "user_id", "bob");
  if (st == DIEN_OK) st = dien_request_set_sequence(r, "hist_item_id", hist, 3);
  if (st == DIEN_OK && categories) st = dien_request_set_sequence(r, "hist_cate_id", hist_c, 3);
  if (st == DIEN_OK) st = dien_request_set_candidates(r, "item_id", cand, 2);
  if (st == DIEN_OK && categories) st = dien_request_set_candidates(r, "cate_id", cand_c, 2);
  return st;
}

std::string last() { return dien_last_error(); }

}  // namespace

TEST_CASE("C API: version, status names, options", "[capi][cpu]") {
  const std::string want = std::to_string(DIEN_VERSION_MAJOR) + "." + std::to_string(DIEN_VERSION_MINOR) + "." +
                           std::to_string(DIEN_VERSION_PATCH);
  REQUIRE(std::string(dien_version()) == want);
  REQUIRE(std::string(dien_status_name(DIEN_ERROR_CAPACITY)) == "DIEN_ERROR_CAPACITY");
  REQUIRE(std::string(dien_status_name(static_cast<dien_status>(99))) == "DIEN_ERROR_UNKNOWN_STATUS");
  dien_session_options o;
  dien_session_options_init(&o);
  REQUIRE(o.struct_size == sizeof o);
  REQUIRE(o.threads == 1);
  REQUIRE(o.exact_window == 1);
  REQUIRE(dien_set_num_threads(-1) == DIEN_ERROR_ARGUMENT);
  REQUIRE_THAT(last(), Catch::Contains("threads must be >= 0"));
  REQUIRE(dien_set_num_threads(0) == DIEN_OK);
}

TEST_CASE("C API: corrupt or incompatible checkpoints are refused at open, with a message", "[capi][cpu]") {
  TempDir tmp;
  const std::string dir = tmp.file("model");
  dien_session* s = reinterpret_cast<dien_session*>(0x1);
  REQUIRE(dien_session_open(nullptr, nullptr, &s) == DIEN_ERROR_ARGUMENT);
  REQUIRE(s == nullptr);
  REQUIRE(dien_session_open(dir.c_str(), nullptr, nullptr) == DIEN_ERROR_ARGUMENT);
  REQUIRE(dien_session_open(dir.c_str(), nullptr, &s) == DIEN_ERROR_MODEL);
  REQUIRE_THAT(last(), Catch::Contains("does not exist") && Catch::Contains(dir));
  write_checkpoint(dir);
  {
    Session ok;
    REQUIRE(dien_session_open(dir.c_str(), nullptr, &ok.s) == DIEN_OK);
  }
  namespace fs = std::filesystem;
  auto corrupt = [&](const std::string& name, const std::function<void(const std::string&)>& damage,
                     const std::vector<std::string>& parts) {
    INFO(name);
    const std::string d = tmp.file(name);
    fs::copy(dir, d, fs::copy_options::recursive);
    damage(d);
    // Past the checksums, to the checks behind them (a damaged file itself: test_checkpoint_integrity.cpp).
    test::reseal_manifest(d);
    dien_session* bad = nullptr;
    REQUIRE(dien_session_open(d.c_str(), nullptr, &bad) == DIEN_ERROR_MODEL);
    REQUIRE(bad == nullptr);
    for (const auto& p : parts) REQUIRE_THAT(last(), Catch::Contains(p));
  };
  corrupt("garbage-config", [](const std::string& d) { std::ofstream(d + "/config.json") << "{not json"; },
          {"config.json"});
  corrupt("future-version", [](const std::string& d) {
    nlohmann::json c = nlohmann::json::parse(std::ifstream(d + "/config.json"));
    c["version"] = 99;
    std::ofstream(d + "/config.json") << c.dump();
  }, {"unsupported version 99"});
  corrupt("truncated-weights", [](const std::string& d) {
    const std::string p = d + "/model.safetensors";
    fs::resize_file(p, fs::file_size(p) / 2);
  }, {"model.safetensors"});
  corrupt("no-weights", [](const std::string& d) { fs::remove(d + "/model.safetensors"); }, {"model.safetensors"});
  corrupt("vocabulary-mismatch", [](const std::string& d) {
    nlohmann::json c = nlohmann::json::parse(std::ifstream(d + "/config.json"));
    for (const char* extra : {"extra1", "extra2"}) {  // (one more would read as a table without an unknown-id row)
      c["data"]["vocabularies"]["item"]["values"].push_back(extra);
      c["data"]["vocabularies"]["item"]["counts"].push_back(1);
      c["data"]["vocabularies"]["item_category"].push_back(1);
    }
    std::ofstream(d + "/config.json") << c.dump();
  }, {"vocabulary of table 'item_id'", "inconsistent"});
  corrupt("unknown-format", [](const std::string& d) {
    nlohmann::json c = nlohmann::json::parse(std::ifstream(d + "/config.json"));
    c["data"]["format"] = "parquet";
    std::ofstream(d + "/config.json") << c.dump();
  }, {"unknown format 'parquet'"});
  dien_session_options o;
  dien_session_options_init(&o);
  o.struct_size = 8;
  REQUIRE(dien_session_open(dir.c_str(), &o, &s) == DIEN_ERROR_ARGUMENT);
  dien_session_options_init(&o);
  o.oov = "ignore";
  REQUIRE(dien_session_open(dir.c_str(), &o, &s) == DIEN_ERROR_ARGUMENT);
  REQUIRE_THAT(last(), Catch::Contains("\"ignore\""));
  dien_session_options_init(&o);
  o.isa = "sse9";
  REQUIRE(dien_session_open(dir.c_str(), &o, &s) == DIEN_ERROR_MODEL);
  REQUIRE_THAT(last(), Catch::Contains("sse9"));
}

TEST_CASE("C API: a damaged checkpoint or NaN weights are refused at open; a flag lets NaN weights in",
          "[capi][cpu]") {
  namespace fs = std::filesystem;
  TempDir tmp;
  const std::string dir = tmp.file("model");
  write_checkpoint(dir);
  const std::string weights = dir + "/model.safetensors";
  std::string bytes;
  {
    std::ifstream in(weights, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  // The last float of the file (a weight) made NaN: the checksum refuses the file...
  const std::string good = bytes;
  const float nan = std::nanf("");
  std::memcpy(&bytes[bytes.size() - 4], &nan, 4);
  std::ofstream(weights, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  dien_session* s = nullptr;
  REQUIRE(dien_session_open(dir.c_str(), nullptr, &s) == DIEN_ERROR_MODEL);
  REQUIRE_THAT(last(), Catch::Contains("model.safetensors") && Catch::Contains("CRC-32 mismatch"));
  // ...and with the manifest matching, the NaN check does, unless the flag allows it.
  test::reseal_manifest(dir);
  REQUIRE(dien_session_open(dir.c_str(), nullptr, &s) == DIEN_ERROR_MODEL);
  REQUIRE_THAT(last(), Catch::Contains("nan") && Catch::Contains("non-finite"));
  REQUIRE(dien_session_open_with_flags(dir.c_str(), nullptr, 0, &s) == DIEN_ERROR_MODEL);
  REQUIRE(dien_session_open_with_flags(dir.c_str(), nullptr, 0x6, &s) == DIEN_ERROR_ARGUMENT);
  REQUIRE_THAT(last(), Catch::Contains("unknown flag bits 0x6"));
  {
    Session ok;
    REQUIRE(dien_session_open_with_flags(dir.c_str(), nullptr, DIEN_OPEN_ALLOW_NONFINITE_WEIGHTS, &ok.s) == DIEN_OK);
  }
  std::ofstream(weights, std::ios::binary | std::ios::trunc).write(good.data(), static_cast<std::streamsize>(good.size()));
  test::reseal_manifest(dir);
  Session ok;
  REQUIRE(dien_session_open(dir.c_str(), nullptr, &ok.s) == DIEN_OK);
}

TEST_CASE("C API: scoring equals the C++ session and the model's batch; errors by status", "[capi][cpu]") {
  TempDir tmp;
  const std::string dir = tmp.file("model");
  write_checkpoint(dir);
  Session s;
  REQUIRE(dien_session_open((dir + "/..").c_str(), nullptr, &s.s) == DIEN_ERROR_MODEL);  // no checkpoint there
  REQUIRE(dien_session_open(dir.c_str(), nullptr, &s.s) == DIEN_OK);
  REQUIRE(std::string(dien_session_isa(s.s)).size() > 0);
  REQUIRE(dien_session_maxlen(s.s) == 6);
  const size_t nf = dien_session_feature_count(s.s);
  REQUIRE(nf == 5);  // user_id, item_id, cate_id, hist_item_id, hist_cate_id
  const char *name = nullptr, *role = nullptr;
  int64_t dim = 0;
  REQUIRE(dien_session_feature(s.s, 1, &name, &role, &dim) == DIEN_OK);
  REQUIRE(std::string(name) == "item_id");
  REQUIRE(std::string(role) == "candidate item");
  REQUIRE(dim == 3);
  REQUIRE(dien_session_feature(s.s, nf, &name, &role, &dim) == DIEN_ERROR_ARGUMENT);

  Req r;
  REQUIRE(dien_request_create(s.s, &r.r) == DIEN_OK);
  REQUIRE(fill(r.r) == DIEN_OK);
  REQUIRE(dien_request_candidates(r.r) == 2);
  float out[3] = {-1, -1, -1};
  size_t written = 7;
  REQUIRE(dien_score(s.s, r.r, out, 1, &written) == DIEN_ERROR_CAPACITY);
  REQUIRE_THAT(last(), Catch::Contains("holds 1 floats") && Catch::Contains("2 candidates"));
  REQUIRE(written == 0);
  REQUIRE(out[0] == -1.f);
  REQUIRE(dien_score(s.s, r.r, out, 3, &written) == DIEN_OK);
  REQUIRE(written == 2);
  REQUIRE(out[2] == -1.f);
  // The C++ session and the model's own batch agree.
  auto cpp = serve::Session::open(dir);
  serve::Request q = cpp->new_request();
  q.set_user("user_id", "bob");
  q.set_sequence("hist_item_id", {"book", "pen", "lamp"});
  q.set_sequence("hist_cate_id", {"paper", "office", "home"});
  q.set_candidates("item_id", {"ink", "mug"});
  q.set_candidates("cate_id", {"office", "home"});
  const std::vector<float> want = cpp->score(q);
  REQUIRE(out[0] == want[0]);
  REQUIRE(out[1] == want[1]);
  const std::vector<double> naive = test::values(cpp->model().predict(cpp->naive_batch(q)));
  REQUIRE(std::fabs(out[0] - naive[0]) < 1e-6);
  REQUIRE(std::fabs(out[1] - naive[1]) < 1e-6);
  // Categories left out are derived from the items (the checkpoint knows each item's category).
  Req d;
  REQUIRE(dien_request_create(s.s, &d.r) == DIEN_OK);
  REQUIRE(fill(d.r, /*categories=*/false) == DIEN_OK);
  float derived[2];
  REQUIRE(dien_score(s.s, d.r, derived, 2, &written) == DIEN_OK);
  REQUIRE(derived[0] == out[0]);
  REQUIRE(derived[1] == out[1]);

  // Malformed requests: status REQUEST and a message naming the feature and value.
  REQUIRE(dien_request_set_user(r.r, "age", "3") == DIEN_ERROR_REQUEST);
  REQUIRE_THAT(last(), Catch::Contains("unknown feature 'age'"));
  REQUIRE(dien_request_set_user(r.r, nullptr, "3") == DIEN_ERROR_ARGUMENT);
  const char* two[] = {"ink", "mug", "pen"};
  REQUIRE(dien_request_set_candidates(r.r, "cate_id", two, 3) == DIEN_ERROR_REQUEST);
  REQUIRE_THAT(last(), Catch::Contains("3 candidate values") && Catch::Contains("2 candidates"));
  const char* with_null[] = {"book", nullptr};
  REQUIRE(dien_request_set_sequence(r.r, "hist_item_id", with_null, 2) == DIEN_ERROR_REQUEST);
  REQUIRE_THAT(last(), Catch::Contains("value 1 is NULL"));
  Req empty;
  REQUIRE(dien_request_create(s.s, &empty.r) == DIEN_OK);
  REQUIRE(dien_score(s.s, empty.r, out, 3, &written) == DIEN_ERROR_REQUEST);
  REQUIRE_THAT(last(), Catch::Contains("no candidates"));
  // Unknown values: bucket (the default for this format) counts them; error refuses them.
  REQUIRE(dien_request_set_user(r.r, "user_id", "mallory") == DIEN_OK);
  REQUIRE(dien_request_oov_count(r.r) == 1);
  dien_session_options o;
  dien_session_options_init(&o);
  o.oov = "error";
  Session strict;
  REQUIRE(dien_session_open(dir.c_str(), &o, &strict.s) == DIEN_OK);
  Req sr;
  REQUIRE(dien_request_create(strict.s, &sr.r) == DIEN_OK);
  REQUIRE(dien_request_set_user(sr.r, "user_id", "mallory") == DIEN_ERROR_REQUEST);
  REQUIRE_THAT(last(), Catch::Contains("'mallory'") && Catch::Contains("user_id"));
  // Messages belong to the thread that failed.
  std::string other = "unset";
  std::thread([&] { other = dien_last_error(); }).join();
  REQUIRE(other.empty());
}

TEST_CASE("C API: the user-state cache", "[capi][cpu]") {
  TempDir tmp;
  const std::string dir = tmp.file("model");
  write_checkpoint(dir);
  Session plain;
  REQUIRE(dien_session_open(dir.c_str(), nullptr, &plain.s) == DIEN_OK);
  const char* f[] = {"item_id"};
  const char* v[] = {"book"};
  REQUIRE(dien_append_event(plain.s, "u", f, v, 1) == DIEN_ERROR_STATE);
  REQUIRE_THAT(last(), Catch::Contains("no user-state cache"));

  dien_session_options o;
  dien_session_options_init(&o);
  o.user_cache_capacity = 100;
  Session s;
  REQUIRE(dien_session_open(dir.c_str(), &o, &s.s) == DIEN_OK);
  for (const char* item : {"book", "pen", "lamp"}) {
    const char* vals[] = {item};
    REQUIRE(dien_append_event(s.s, "bob", f, vals, 1) == DIEN_OK);  // categories derived
  }
  Req keyed;
  REQUIRE(dien_request_create(s.s, &keyed.r) == DIEN_OK);
  REQUIRE(dien_request_set_user_key(keyed.r, "bob") == DIEN_OK);
  REQUIRE(dien_request_set_user(keyed.r, "user_id", "bob") == DIEN_OK);
  const char* cand[] = {"ink", "mug"};
  REQUIRE(dien_request_set_candidates(keyed.r, "item_id", cand, 2) == DIEN_OK);
  float a[2], b[2];
  size_t n = 0;
  REQUIRE(dien_score(s.s, keyed.r, a, 2, &n) == DIEN_OK);
  Req full;
  REQUIRE(dien_request_create(plain.s, &full.r) == DIEN_OK);
  REQUIRE(fill(full.r, /*categories=*/false) == DIEN_OK);
  REQUIRE(dien_score(plain.s, full.r, b, 2, &n) == DIEN_OK);
  REQUIRE(a[0] == b[0]);
  REQUIRE(a[1] == b[1]);
  REQUIRE(dien_request_set_user_key(keyed.r, "eve") == DIEN_OK);
  REQUIRE(dien_score(s.s, keyed.r, a, 2, &n) == DIEN_ERROR_NOT_FOUND);
  REQUIRE_THAT(last(), Catch::Contains("'eve'"));
  REQUIRE(dien_forget_user(s.s, "bob") == DIEN_OK);
  REQUIRE(dien_forget_user(s.s, "bob") == DIEN_ERROR_NOT_FOUND);
  const char* bad_f[] = {"color"};
  REQUIRE(dien_append_event(s.s, "bob", bad_f, v, 1) == DIEN_ERROR_REQUEST);
  REQUIRE_THAT(last(), Catch::Contains("unknown feature 'color'"));
}

TEST_CASE("C API: a model without unknown-id rows (synthetic data) scores known values, refuses others", "[capi][cpu]") {
  TempDir tmp;
  const std::string dir = tmp.file("model");
  write_checkpoint(dir, "AUGRU", /*without_oov_rows=*/true);
  Session s;
  REQUIRE(dien_session_open(dir.c_str(), nullptr, &s.s) == DIEN_OK);
  Req r;
  REQUIRE(dien_request_create(s.s, &r.r) == DIEN_OK);
  REQUIRE(fill(r.r) == DIEN_OK);
  float p[2];
  size_t n = 0;
  REQUIRE(dien_score(s.s, r.r, p, 2, &n) == DIEN_OK);
  REQUIRE(n == 2);
  const char* unknown[] = {"book", "sofa"};
  REQUIRE(dien_request_set_candidates(r.r, "item_id", unknown, 2) == DIEN_ERROR_REQUEST);
  REQUIRE_THAT(last(), Catch::Contains("'sofa'") && Catch::Contains("no row for unknown values"));
}
