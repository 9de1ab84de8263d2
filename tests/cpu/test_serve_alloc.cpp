// SPDX-License-Identifier: MIT
// A warm scoring call allocates nothing: the request keeps its memory across clear(), and the
// session its scratch (arenas, the resolved request). Counted by replacing the global operator
// new of this test executable (it only counts, per thread).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>

#include "model_test_util.h"
#include "serve/session.h"

namespace {
thread_local long t_news = 0;
}

void* operator new(std::size_t n) {
  ++t_news;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  ++t_news;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// The nothrow forms too: memory they return reaches the replaced operator delete below, which
// must not free what another allocator (the sanitizers' operator new) made.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  ++t_news;
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  ++t_news;
  return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace dien;

TEST_CASE("serve: a warm scoring call allocates nothing", "[serve][cpu]") {
  for (const char* gt : {"AUGRU", "GRU"}) {
    INFO(gt);
    auto model = std::shared_ptr<CtrModel>(make_model(test::small_options("dien", gt), test::small_features()));
    auto s = serve::Session::from_model(model, "");
    serve::Request r = s->new_request();
    const std::vector<std::string> hist = {"1", "4", "2", "9"}, cates = {"1", "2", "3", "4"};
    const std::vector<std::string> items = {"3", "5", "7"}, cc = {"1", "1", "2"};
    const float price = 0.5f;
    std::vector<float> out(3);
    auto call = [&] {
      r.clear();
      r.set_user("user_id", "2");
      r.set_user_dense("price", &price, 1);
      r.set_sequence("tags", {"1"});
      r.set_sequence("hist_item_id", hist);
      r.set_sequence("hist_cate_id", cates);
      r.set_candidates("item_id", items);
      r.set_candidates("cate_id", cc);
      s->score(r, out.data(), out.size());
    };
    for (int i = 0; i < 3; ++i) call();  // warm-up
    const long before = t_news;
    for (int i = 0; i < 10; ++i) call();
    REQUIRE(t_news - before == 0);
  }
}
