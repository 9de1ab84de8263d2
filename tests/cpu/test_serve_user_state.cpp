// SPDX-License-Identifier: MIT
// The user-state cache of serve/session.h: a history advanced one event at a time equals one
// computed in one go, bit for bit, for DIEN with every gru_type (and DIN, the base model); the
// window slides past maxlen exactly (recomputed) or approximately (documented); capacity and
// eviction; concurrent requests and appends.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <thread>

#include "model_test_util.h"
#include "serve/session.h"

using namespace dien;
using dien::test::small_features;
using dien::test::small_options;

namespace {

struct History {
  std::vector<std::string> items, cates;
};

History random_history(Generator& g, int64_t L) {
  History h;
  for (int64_t t = 0; t < L; ++t) {
    h.items.push_back(std::to_string(1 + g.randint(10)));
    h.cates.push_back(std::to_string(1 + g.randint(4)));
  }
  return h;
}

// A request for the candidates (items 1..K), with the history when given.
serve::Request request(const serve::Session& s, const History* h, const std::string& key = "", int64_t K = 4) {
  serve::Request r = s.new_request();
  r.set_user("user_id", "2");
  const float price = 0.25f;
  r.set_user_dense("price", &price, 1);
  r.set_sequence("tags", {"1", "3"});
  std::vector<std::string> items, cates;
  for (int64_t c = 0; c < K; ++c) {
    items.push_back(std::to_string(1 + c % 10));
    cates.push_back(std::to_string(1 + c % 4));
  }
  r.set_candidates("item_id", items);
  r.set_candidates("cate_id", cates);
  if (h) {
    r.set_sequence("hist_item_id", h->items);
    r.set_sequence("hist_cate_id", h->cates);
  }
  if (!key.empty()) r.set_user_key(key);
  return r;
}

History last(const History& h, size_t n) {
  History t;
  const size_t first = h.items.size() > n ? h.items.size() - n : 0;
  t.items.assign(h.items.begin() + static_cast<std::ptrdiff_t>(first), h.items.end());
  t.cates.assign(h.cates.begin() + static_cast<std::ptrdiff_t>(first), h.cates.end());
  return t;
}

std::vector<ModelOptions> cached_models() {
  std::vector<ModelOptions> out;
  for (const auto& gt : test::kAllGruTypes) out.push_back(small_options("dien", gt));
  ModelOptions rbl = small_options("dien", "AUGRU");
  rbl.gate_layout = "rbl";
  out.push_back(rbl);
  out.push_back(small_options("din"));
  out.push_back(small_options("base"));
  return out;
}

}  // namespace

TEST_CASE("user state: events appended one by one equal the history scored in one go", "[serve][cpu]") {
  for (const ModelOptions& o : cached_models()) {
    INFO(o.kind << " " << o.gru_type << " " << o.gate_layout);
    auto model = std::shared_ptr<CtrModel>(make_model(o, small_features()));
    serve::SessionOptions so;
    so.user_cache_capacity = 8;
    auto cached = serve::Session::from_model(model, "", so);
    auto plain = serve::Session::from_model(model, "");
    Generator g(21);
    const History h = random_history(g, 5);  // maxlen
    for (size_t n = 1; n <= 5; ++n) {
      cached->append_event("u", {{"item_id", h.items[n - 1]}, {"hist_cate_id", h.cates[n - 1]}});
      REQUIRE(cached->cached_history_length("u") == static_cast<int64_t>(n));
      const History prefix = last(History{{h.items.begin(), h.items.begin() + static_cast<std::ptrdiff_t>(n)},
                                          {h.cates.begin(), h.cates.begin() + static_cast<std::ptrdiff_t>(n)}},
                                  n);
      std::vector<float> from_cache = cached->score(request(*cached, nullptr, "u"));
      std::vector<float> direct = plain->score(request(*plain, &prefix));
      REQUIRE(from_cache == direct);  // bit for bit
    }
    // A request whose history extends the cached one by new events advances it.
    History longer = random_history(g, 3);
    serve::Request r3 = request(*cached, &longer, "v");
    REQUIRE(cached->score(r3) == plain->score(request(*plain, &longer)));
    longer.items.push_back("7");
    longer.cates.push_back("2");
    const serve::CacheStats before = cached->cache_stats();
    REQUIRE(cached->score(request(*cached, &longer, "v")) == plain->score(request(*plain, &longer)));
    REQUIRE(cached->cache_stats().extended == before.extended + 1);
    // A different history replaces the cached one.
    History other = random_history(g, 4);
    REQUIRE(cached->score(request(*cached, &other, "v")) == plain->score(request(*plain, &other)));
    REQUIRE(cached->cache_stats().recomputed == before.recomputed + 1);
    REQUIRE(cached->score(request(*cached, nullptr, "v")) == plain->score(request(*plain, &other)));
  }
}

TEST_CASE("user state: past maxlen the window slides, exactly or approximately", "[serve][cpu]") {
  for (const auto& gt : test::kAllGruTypes) {
    INFO(gt);
    auto model = std::shared_ptr<CtrModel>(make_model(small_options("dien", gt), small_features()));
    serve::SessionOptions exact, approx;
    exact.user_cache_capacity = approx.user_cache_capacity = 4;
    approx.exact_window = false;
    auto se = serve::Session::from_model(model, "", exact);
    auto sa = serve::Session::from_model(model, "", approx);
    auto plain = serve::Session::from_model(model, "");
    Generator g(33);
    const History h = random_history(g, 12);
    double worst = 0;
    for (size_t n = 1; n <= h.items.size(); ++n) {
      se->append_event("u", {{"item_id", h.items[n - 1]}, {"cate_id", h.cates[n - 1]}});
      sa->append_event("u", {{"item_id", h.items[n - 1]}, {"cate_id", h.cates[n - 1]}});
      REQUIRE(se->cached_history_length("u") == static_cast<int64_t>(std::min<size_t>(n, 5)));
      const History window = last(History{{h.items.begin(), h.items.begin() + static_cast<std::ptrdiff_t>(n)},
                                          {h.cates.begin(), h.cates.begin() + static_cast<std::ptrdiff_t>(n)}},
                                  5);
      const std::vector<float> want = plain->score(request(*plain, &window));
      REQUIRE(se->score(request(*se, nullptr, "u")) == want);
      const std::vector<float> a = sa->score(request(*sa, nullptr, "u"));
      if (n <= 5) REQUIRE(a == want);  // the window has not moved yet
      for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(double(a[i]) - want[i]));
    }
    REQUIRE(std::isfinite(worst));  // the approximation's error is measured in bench_serve, not bounded here
  }
}

TEST_CASE("user state: capacity, eviction and forgetting", "[serve][cpu]") {
  auto model = std::shared_ptr<CtrModel>(make_model(small_options("dien", "AUGRU"), small_features()));
  serve::SessionOptions so;
  so.user_cache_capacity = 16;  // one user per shard
  auto s = serve::Session::from_model(model, "", so);
  for (int u = 0; u < 200; ++u) s->append_event("user" + std::to_string(u), {{"item_id", "3"}, {"cate_id", "1"}});
  serve::CacheStats st = s->cache_stats();
  REQUIRE(st.users <= 16);
  REQUIRE(st.evictions >= 184);
  REQUIRE(st.appended_events == 200);
  REQUIRE(st.bytes > 0);
  REQUIRE(s->cached_history_length("user199") == 1);  // the most recent stays
  REQUIRE(s->forget_user("user199"));
  REQUIRE(!s->forget_user("user199"));
  REQUIRE(s->cached_history_length("user199") == -1);
  test::require_error([&] { s->score(request(*s, nullptr, "user199")); }, {"user key 'user199' has no cached history"});
  serve::SessionOptions tiny;
  tiny.user_cache_capacity = 5;  // fewer users than shards: never more than 5 kept
  auto t = serve::Session::from_model(model, "", tiny);
  for (int u = 0; u < 50; ++u) t->append_event("u" + std::to_string(u), {{"item_id", "3"}, {"cate_id", "1"}});
  REQUIRE(t->cache_stats().users <= 5);
  REQUIRE(t->cache_stats().users >= 1);
  test::require_error([&] { s->append_event("u", {{"price", "1"}}); }, {"no value for 'item_id'"});
  test::require_error([&] { s->append_event("u", {{"nope", "1"}}); }, {"unknown feature 'nope'"});
  test::require_error([&] { s->append_event("", {{"item_id", "1"}}); }, {"user key is empty"});
}

TEST_CASE("user state: concurrent requests and appends", "[serve][cpu]") {
  auto model = std::shared_ptr<CtrModel>(make_model(small_options("dien", "AUGRU"), small_features()));
  serve::SessionOptions so;
  so.user_cache_capacity = 64;
  auto s = serve::Session::from_model(model, "", so);
  auto plain = serve::Session::from_model(model, "");
  Generator g(44);
  const History h = random_history(g, 5);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      const std::string key = "user" + std::to_string(t);
      for (int round = 0; round < 20; ++round) {
        s->forget_user(key);
        for (size_t n = 0; n < h.items.size(); ++n) {
          s->append_event(key, {{"item_id", h.items[n]}, {"cate_id", h.cates[n]}});
          s->append_event("shared", {{"item_id", h.items[n]}, {"cate_id", h.cates[n]}});  // contended
          s->score(request(*s, nullptr, "shared"));
        }
        if (s->score(request(*s, nullptr, key)) != plain->score(request(*plain, &h))) ++mismatches;
      }
    });
  for (auto& th : threads) th.join();
  REQUIRE(mismatches == 0);
  REQUIRE(s->cached_history_length("shared") == 5);
}
