// SPDX-License-Identifier: MIT
// serve/session.h: scoring one user against K candidates equals the model's own K-row batch
// (built here by hand, independently of the session) to 1e-6, for DIEN with every gru_type and
// its variants (gate layouts, AUGRU forms, bilinear attention, the authors' network, batch norm,
// PReLU and Dice), DIN and the base model, on every instruction set this CPU runs; threads and
// the user-state cache change no bit.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "model_test_util.h"
#include "serve/kernels.h"
#include "serve/session.h"

using namespace dien;
using dien::test::small_features;
using dien::test::small_options;

namespace {

struct Case {
  std::string label;
  ModelOptions o;
};

std::vector<Case> every_model() {
  std::vector<Case> out;
  for (const auto& gt : dien::test::kAllGruTypes) {
    ModelOptions o = small_options("dien", gt);
    out.push_back({"dien " + gt, o});
    o.gate_layout = "rbl";
    out.push_back({"dien " + gt + " rbl", o});
  }
  ModelOptions o = small_options("dien", "AUGRU");
  o.augru_form = "paper";
  out.push_back({"dien AUGRU paper form", o});
  o = small_options("dien", "AGRU");
  o.attention = "bilinear";
  out.push_back({"dien AGRU bilinear attention", o});
  o = small_options("dien", "GRU");
  o.attention = "bilinear";
  out.push_back({"dien GRU bilinear attention", o});
  o = small_options("dien", "AUGRU");
  o.network = "authors";
  o.use_bn = true;
  o.dnn_activation = "dice";
  out.push_back({"dien AUGRU authors network, input bn, dice", o});
  o = small_options("dien", "AIGRU");
  o.use_bn = true;
  o.dnn_activation = "prelu";
  o.att_activation = "dice";
  o.att_weight_normalization = false;
  out.push_back({"dien AIGRU bn, prelu, dice attention, raw scores", o});
  o = small_options("dien", "AUGRU");
  o.use_negsampling = false;
  o.att_hidden_units = {5};
  out.push_back({"dien AUGRU without negatives, one attention layer", o});
  out.push_back({"din", small_options("din")});
  o = small_options("din");
  o.dnn_activation = "dice";
  o.use_bn = true;
  out.push_back({"din dice, bn", o});
  out.push_back({"base", small_options("base")});
  o = small_options("base");
  o.task = "regression";
  out.push_back({"base regression", o});
  return out;
}

// Running statistics and Dice/PReLU parameters away from their initial values, so that folding
// them is tested.
void perturb(CtrModel& m, uint64_t seed) {
  Generator g(seed);
  for (auto& [name, t] : m.state_dict()) {
    if (t.dtype() != DType::F32) continue;
    const bool var = name.find("running_var") != std::string::npos;
    const bool touch = var || name.find("running_mean") != std::string::npos || name.find("alpha") != std::string::npos ||
                       name.find("bn.") != std::string::npos || name.find("activation_layers") != std::string::npos;
    if (!touch) continue;
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = var ? static_cast<float>(0.5 + g.uniform01()) : static_cast<float>(g.uniform01() - 0.5);
  }
}

// One request's raw values (ids as strings: these sessions have no vocabularies).
struct Req {
  int64_t user = 3;
  std::vector<float> price{0.7f};
  std::vector<int64_t> hist_item, hist_cate, tags;
  std::vector<int64_t> item, cate;
  std::vector<int64_t> cand_user;    // non-empty: user_id per candidate
  std::vector<float> cand_price;     // non-empty: price per candidate
};

Req random_req(Generator& g, int64_t L, int64_t K) {
  Req r;
  auto id = [&](int64_t vocab) { return 1 + static_cast<int64_t>(g.randint(static_cast<uint64_t>(vocab - 1))); };
  r.user = id(7);
  for (int64_t t = 0; t < L; ++t) {
    r.hist_item.push_back(id(11));
    r.hist_cate.push_back(id(5));
  }
  for (int64_t t = 0; t < 2; ++t) r.tags.push_back(id(6));
  for (int64_t c = 0; c < K; ++c) {
    r.item.push_back(id(11));
    r.cate.push_back(id(5));
  }
  return r;
}

std::vector<std::string> str(const std::vector<int64_t>& v) {
  std::vector<std::string> s;
  for (int64_t x : v) s.push_back(std::to_string(x));
  return s;
}

serve::Request make_request(const serve::Session& s, const Req& q) {
  serve::Request r = s.new_request();
  if (q.cand_user.empty()) r.set_user("user_id", std::to_string(q.user));
  else r.set_candidates("user_id", str(q.cand_user));
  if (q.cand_price.empty()) r.set_user_dense("price", q.price.data(), q.price.size());
  else r.set_candidates_dense("price", q.cand_price.data(), q.item.size(), 1);
  r.set_sequence("hist_item_id", str(q.hist_item));
  r.set_sequence("hist_cate_id", str(q.hist_cate));
  r.set_sequence("tags", str(q.tags));
  r.set_candidates("item_id", str(q.item));
  r.set_candidates("cate_id", str(q.cate));
  return r;
}

// The K-row batch, by hand: each row the user's features and history (its most recent maxlen
// events), one candidate.
data::Batch by_hand(const Req& q, int64_t maxlen) {
  const int64_t K = static_cast<int64_t>(q.item.size());
  const int64_t L0 = static_cast<int64_t>(q.hist_item.size()), first = std::max<int64_t>(0, L0 - maxlen);
  const int64_t L = L0 - first, T = std::max<int64_t>(L, 1);
  auto rows = [&](const std::vector<int64_t>& seq, int64_t from, int64_t len, int64_t width) {
    std::vector<int64_t> v(static_cast<size_t>(K * width), 0);
    for (int64_t c = 0; c < K; ++c)
      for (int64_t t = 0; t < len; ++t) v[static_cast<size_t>(c * width + t)] = seq[static_cast<size_t>(from + t)];
    return from_vector<int64_t>(v, Shape{K, width});
  };
  data::Batch b;
  std::vector<int64_t> users = q.cand_user.empty() ? std::vector<int64_t>(static_cast<size_t>(K), q.user) : q.cand_user;
  b.x["user_id"] = from_vector<int64_t>(users, Shape{K});
  b.x["item_id"] = from_vector<int64_t>(q.item, Shape{K});
  b.x["cate_id"] = from_vector<int64_t>(q.cate, Shape{K});
  std::vector<float> price = q.cand_price;
  if (price.empty()) price.assign(static_cast<size_t>(K), q.price[0]);
  b.x["price"] = from_vector<float>(price, Shape{K, 1});
  b.x["hist_item_id"] = rows(q.hist_item, first, L, T);
  b.x["hist_cate_id"] = rows(q.hist_cate, first, L, T);
  b.x["seq_length"] = from_vector<int64_t>(std::vector<int64_t>(static_cast<size_t>(K), L), Shape{K});
  const int64_t nt = static_cast<int64_t>(q.tags.size());
  b.x["tags"] = rows(q.tags, 0, nt, std::max<int64_t>(nt, 1));
  b.x["tags_len"] = from_vector<int64_t>(std::vector<int64_t>(static_cast<size_t>(K), nt), Shape{K});
  return b;
}

double max_diff(const std::vector<float>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double w = 0;
  for (size_t i = 0; i < a.size(); ++i) w = std::max(w, std::fabs(static_cast<double>(a[i]) - b[i]));
  return w;
}

std::vector<const char*> isas() {
  const char* names[8];
  const int n = serve::available_isas(names, 8);
  return std::vector<const char*>(names, names + std::min(n, 8));
}

}  // namespace

TEST_CASE("serve: one user x K candidates equals the model's K-row batch, every model", "[serve][cpu]") {
  uint64_t seed = 100;
  for (const Case& mc : every_model()) {
    auto model = std::shared_ptr<CtrModel>(make_model(mc.o, small_features()));
    perturb(*model, ++seed);
    for (const char* isa : isas()) {
      serve::SessionOptions so;
      so.isa = isa;
      auto s = serve::Session::from_model(model, "", so);
      REQUIRE(std::string(s->isa()) == isa);
      Generator g(seed);
      for (int64_t L : {0, 1, 3, 5, 7}) {
        for (int64_t K : {1, 2, 7, 13}) {
          INFO(mc.label << ", isa " << isa << ", L " << L << ", K " << K);
          Req q = random_req(g, L, K);
          if (K == 7) {  // user_id and price per candidate
            for (int64_t c = 0; c < K; ++c) {
              q.cand_user.push_back(1 + c % 6);
              q.cand_price.push_back(0.1f * static_cast<float>(c) - 0.3f);
            }
          }
          serve::Request r = make_request(*s, q);
          std::vector<float> got = s->score(r);
          const data::Batch want_batch = by_hand(q, 5);
          std::vector<double> want = test::values(model->predict(want_batch));
          REQUIRE(max_diff(got, want) <= 1e-6);
          // The session's own naive batch is the same batch.
          std::vector<double> naive = test::values(model->predict(s->naive_batch(r)));
          REQUIRE(naive == want);
        }
      }
    }
  }
}

TEST_CASE("serve: threads split candidates without changing a bit", "[serve][cpu]") {
  for (const char* gt : {"GRU", "AUGRU", "AIGRU"}) {
    auto model = std::shared_ptr<CtrModel>(make_model(small_options("dien", gt), small_features()));
    serve::SessionOptions one, two;
    two.threads = 2;
    auto s1 = serve::Session::from_model(model, "", one);
    auto s2 = serve::Session::from_model(model, "", two);
    Generator g(5);
    Req q = random_req(g, 5, 37);
    std::vector<float> a = s1->score(make_request(*s1, q)), b = s2->score(make_request(*s2, q));
    REQUIRE(a == b);
  }
}

TEST_CASE("serve: requests are validated with messages naming the feature", "[serve][cpu]") {
  using test::require_error;
  auto model = std::shared_ptr<CtrModel>(make_model(small_options("dien", "AUGRU"), small_features()));
  auto s = serve::Session::from_model(model, "");
  Generator g(9);
  const Req q = random_req(g, 3, 2);
  serve::Request r = s->new_request();
  require_error([&] { r.set_user("no_such_feature", "1"); }, {"unknown feature 'no_such_feature'", "item_id (candidate item)"});
  require_error([&] { r.set_user("item_id", "1"); }, {"'item_id' is the candidate's item", "set_candidates"});
  require_error([&] { r.set_user("hist_item_id", "1"); }, {"'hist_item_id'", "set_sequence"});
  const float nan = std::nanf("");
  require_error([&] { r.set_user_dense("price", &nan, 1); }, {"'price'", "not finite"});
  const float two[2] = {1, 2};
  require_error([&] { r.set_user_dense("price", two, 2); }, {"'price' takes 1 values, got 2"});
  require_error([&] { r.set_candidates("item_id", std::vector<std::string>{}); }, {"'item_id'", "0 candidates"});
  require_error([&] { r.set_candidates("item_id", {"1", "99"}); }, {"'item_id'", "99", "outside", "candidate 1"});
  require_error([&] { r.set_sequence("hist_item_id", {"1", "x"}); }, {"'hist_item_id'", "'x' is not an id", "position 1"});
  r.set_candidates("item_id", {"1", "2"});
  require_error([&] { r.set_candidates("cate_id", {"1", "2", "3"}); }, {"'cate_id' has 3 candidate values", "2 candidates"});
  // Missing pieces, found at score time.
  serve::Request empty = s->new_request();
  require_error([&] { s->score(empty); }, {"no candidates"});
  r.set_candidates("cate_id", {"1", "2"});
  require_error([&] { s->score(r); }, {"history is missing", "hist_item_id"});
  r.set_sequence("hist_item_id", {"1", "2", "3"});
  require_error([&] { s->score(r); }, {"'hist_cate_id' is missing"});
  r.set_sequence("hist_cate_id", {"1", "2"});
  require_error([&] { s->score(r); }, {"'hist_cate_id' has 2 events but 'hist_item_id' has 3"});
  r.set_sequence("hist_cate_id", {"1", "2", "4"});
  require_error([&] { s->score(r); }, {"'user_id' is missing", "set_user or set_candidates"});
  r.set_user("user_id", "2");
  require_error([&] { s->score(r); }, {"'price' is missing"});
  const float one = 0.5f;
  r.set_user_dense("price", &one, 1);
  float out[1];
  require_error([&] { s->score(r, out, 1); }, {"holds 1 floats", "2 candidates"});
  REQUIRE(s->score(r).size() == 2);
  // Known names the model does not use are accepted and ignored.
  r.set_sequence("neg_hist_item_id", {"1"});
  r.set_user("seq_length", "3");
  REQUIRE(s->score(r).size() == 2);
  // A user key without a cache, an append without a cache.
  serve::Request keyed = s->new_request();
  keyed.set_user_key("u1");
  keyed.set_candidates("item_id", {"1"});
  keyed.set_candidates("cate_id", {"1"});
  require_error([&] { s->score(keyed); }, {"history is missing", "no user-state cache"});
  require_error([&] { s->append_event("u1", {{"item_id", "1"}}); }, {"no user-state cache"});
}

TEST_CASE("serve: histories of 0 events and longer than maxlen", "[serve][cpu]") {
  auto model = std::shared_ptr<CtrModel>(make_model(small_options("dien", "AUGRU"), small_features()));
  auto s = serve::Session::from_model(model, "");
  Generator g(3);
  Req q = random_req(g, 9, 3);  // maxlen is 5: the last 5 events count
  Req tail = q;
  tail.hist_item.erase(tail.hist_item.begin(), tail.hist_item.begin() + 4);
  tail.hist_cate.erase(tail.hist_cate.begin(), tail.hist_cate.begin() + 4);
  REQUIRE(s->score(make_request(*s, q)) == s->score(make_request(*s, tail)));
  Req none = random_req(g, 0, 3);
  std::vector<float> p = s->score(make_request(*s, none));
  REQUIRE(max_diff(p, test::values(model->predict(by_hand(none, 5)))) <= 1e-6);
}
