// SPDX-License-Identifier: MIT
// core/threads.h: the library default, per-thread scopes, and kernels that honour them (one
// thread never enters an OpenMP region; Eigen's thread count comes back after a product).
#include <catch2/catch.hpp>

#include <mutex>
#include <set>
#include <thread>

#include "core/threads.h"
#include "kernels/cpu/cpu_util.h"
#include "support/test_util.h"

using namespace dien;

namespace {

// The distinct threads and chunks a large parallel_for used on the calling thread.
struct Split {
  std::set<std::thread::id> threads;
  int chunks = 0;
  int64_t covered = 0;
};
Split split_of(int64_t n) {
  Split s;
  std::mutex mu;
  cpu::parallel_for(n, 16, [&](int64_t b, int64_t e) {
    std::lock_guard<std::mutex> lock(mu);
    s.threads.insert(std::this_thread::get_id());
    ++s.chunks;
    s.covered += e - b;
  });
  return s;
}

struct DefaultRestorer {
  int saved = default_num_threads();
  ~DefaultRestorer() { set_num_threads(saved); }
};

}  // namespace

TEST_CASE("threads: library default, scopes that nest and restore", "[threads][cpu]") {
  DefaultRestorer restore;
  set_num_threads(3);
  REQUIRE(default_num_threads() == 3);
  REQUIRE(num_threads() == 3);
  {
    ThreadScope one(1);
    REQUIRE(num_threads() == 1);
    {
      ThreadScope two(2);
      REQUIRE(num_threads() == 2);
      ThreadScope lib(0);  // 0: back to the library default inside the scope
      REQUIRE(num_threads() == 3);
    }
    REQUIRE(num_threads() == 1);
    int other = -1;
    std::thread([&] { other = num_threads(); }).join();
    REQUIRE(other == 3);  // a scope belongs to its thread
  }
  REQUIRE(num_threads() == 3);
  dien::test::require_error([] { set_num_threads(-1); }, {"set_num_threads", ">= 0", "-1"});
  dien::test::require_error([] { ThreadScope bad(-2); }, {"ThreadScope", "-2"});
}

TEST_CASE("threads: one thread runs a kernel loop on the caller, in one piece", "[threads][cpu]") {
  ThreadScope one(1);
  Split s = split_of(1 << 20);
  REQUIRE(s.chunks == 1);
  REQUIRE(s.threads == std::set<std::thread::id>{std::this_thread::get_id()});
  REQUIRE(s.covered == (1 << 20));
#if DIEN_WITH_OPENMP
  ThreadScope two(2);
  Split t = split_of(1 << 20);
  REQUIRE(t.chunks == 2);
  REQUIRE(t.covered == (1 << 20));
#endif
}

TEST_CASE("threads: Eigen follows the scope and the caller's OpenMP setting comes back", "[threads][cpu]") {
#if DIEN_WITH_OPENMP
  const int before = omp_get_max_threads();
  {
    ThreadScope one(1);
    cpu::EigenThreads guard;
    REQUIRE(omp_get_max_threads() == 1);
  }
  REQUIRE(omp_get_max_threads() == before);
#else
  SUCCEED("built without OpenMP: every kernel runs on the calling thread");
#endif
}
