// SPDX-License-Identifier: MIT
#include "core/threads.h"

#include <atomic>

#include "core/error.h"
#include <cstdlib>

#include "core/parallel.h"

namespace dien {

namespace {
std::atomic<int> g_default{0};
thread_local int t_scope = 0;  // 0: no scope on this thread

// Without a library default: OMP_NUM_THREADS when it holds a positive number (the setting users
// of OpenMP-based libraries already know), else every core this process may use.
int env_threads() {
  static const int n = [] {
    const char* e = std::getenv("OMP_NUM_THREADS");
    if (e && *e) {
      char* end = nullptr;
      const long v = std::strtol(e, &end, 10);
      if (end && *end == '\0' && v > 0 && v < 4096) return static_cast<int>(v);
    }
    return usable_cores();
  }();
  return n;
}
}  // namespace

void set_num_threads(int n) {
  if (n < 0) fail("set_num_threads", "threads must be >= 0 (0: every core), got ", n);
  g_default.store(n, std::memory_order_relaxed);
}

int default_num_threads() { return g_default.load(std::memory_order_relaxed); }

int num_threads() {
  if (t_scope > 0) return t_scope;
  const int d = g_default.load(std::memory_order_relaxed);
  if (d > 0) return d;
  return env_threads();
}

ThreadScope::ThreadScope(int n) : previous_(t_scope) {
  if (n < 0) fail("ThreadScope", "threads must be >= 0 (0: the library default), got ", n);
  t_scope = n;
}

ThreadScope::~ThreadScope() { t_scope = previous_; }

}  // namespace dien
