// SPDX-License-Identifier: MIT
#include "core/threads.h"

#include <atomic>

#include "core/error.h"
#if DIEN_WITH_OPENMP
#include <omp.h>
#endif

namespace dien {

namespace {
std::atomic<int> g_default{0};
thread_local int t_scope = 0;  // 0: no scope on this thread
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
#if DIEN_WITH_OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

ThreadScope::ThreadScope(int n) : previous_(t_scope) {
  if (n < 0) fail("ThreadScope", "threads must be >= 0 (0: the library default), got ", n);
  t_scope = n;
}

ThreadScope::~ThreadScope() { t_scope = previous_; }

}  // namespace dien
