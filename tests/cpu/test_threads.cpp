// SPDX-License-Identifier: MIT
// core/threads.h and core/parallel.h: the library default, per-thread scopes, and the pool's
// loops that honour them (one thread runs on its caller; never more threads than cores; nested
// and concurrent loops; exceptions).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "core/parallel.h"
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
  // More threads: chunks that cover the range exactly once, never more threads than the cores
  // this process may use.
  ThreadScope many(64);
  Split t = split_of(1 << 20);
  REQUIRE(t.covered == (1 << 20));
  REQUIRE(static_cast<int>(t.threads.size()) <= usable_cores());
  if (usable_cores() > 1) REQUIRE(t.chunks > 1);
}

TEST_CASE("threads: a loop inside a loop runs on its caller; exceptions reach the caller", "[threads][cpu]") {
  ThreadScope two(2);
  std::mutex mu;
  bool inner_split = false;
  int64_t covered = 0, outer = 0;
  cpu::parallel_for(1 << 12, 16, [&](int64_t, int64_t) {
    const auto me = std::this_thread::get_id();
    Split inner;
    cpu::parallel_for(1 << 12, 16, [&](int64_t ib, int64_t ie) {
      std::lock_guard<std::mutex> lock(mu);
      inner.threads.insert(std::this_thread::get_id());
      ++inner.chunks;
      covered += ie - ib;
    });
    std::lock_guard<std::mutex> lock(mu);
    ++outer;
    if (inner.chunks != 1 || inner.threads != std::set<std::thread::id>{me}) inner_split = true;
  });
  REQUIRE_FALSE(inner_split);
  REQUIRE(covered == outer * (1 << 12));
  // A chunk that throws: the caller gets the error (whichever thread ran the chunk).
  dien::test::require_error(
      [] { cpu::parallel_for(1 << 12, 16, [](int64_t b, int64_t e) { fail("chunk", "failed on ", b, "..", e); }); },
      {"chunk", "failed on"});
  Split again = split_of(1 << 20);  // the pool works after a failed loop
  REQUIRE(again.covered == (1 << 20));
}

TEST_CASE("threads: loops from several threads at once each cover their range", "[threads][cpu]") {
  std::vector<std::thread> callers;
  std::vector<int64_t> covered(4, 0);
  for (int c = 0; c < 4; ++c)
    callers.emplace_back([&covered, c] {
      ThreadScope mine(2);
      for (int rep = 0; rep < 50; ++rep) {
        std::atomic<int64_t> n{0};
        cpu::parallel_for(1 << 14, 64, [&](int64_t b, int64_t e) { n += e - b; });
        covered[static_cast<size_t>(c)] += n;
      }
    });
  for (auto& t : callers) t.join();
  for (int64_t c : covered) REQUIRE(c == 50 * (1 << 14));
}

TEST_CASE("threads: a child of fork() runs parallel loops with a pool of its own", "[threads][cpu]") {
  ThreadScope two(2);
  Split before = split_of(1 << 20);  // the parent's workers exist now
  REQUIRE(before.covered == (1 << 20));
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {  // child: a hang (waiting for the parent's workers) is killed by the alarm
    alarm(30);
    Split s = split_of(1 << 20);
    std::atomic<int64_t> n{0};
    cpu::parallel_for(1 << 16, 64, [&](int64_t b, int64_t e) { n += e - b; });
    _exit(s.covered == (1 << 20) && n == (1 << 16) ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  INFO("child status " << status);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  Split after = split_of(1 << 20);  // and the parent's pool still works
  REQUIRE(after.covered == (1 << 20));
}
