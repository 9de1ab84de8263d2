// SPDX-License-Identifier: MIT
// The library's own worker pool: how a kernel spreads a loop over threads.
//
//   dien::parallel_run(n, grain, threads, [&](int64_t begin, int64_t end) { ... });
//
// Why not OpenMP teams: an OpenMP team spin-waits at every barrier, so a training step with
// hundreds of short parallel loops burns the cores between them, and on a machine where other
// processes want those cores the spinning threads and the preempted ones wait on each other
// (a fused scan became 14x slower than its unfused twin with one busy process beside it). Here:
//   - the caller is one of the threads, and at most `threads - 1` pool workers join it; a loop
//     never uses more threads than the cores this process may run on (sched_getaffinity);
//   - chunks of at least `grain` items are handed out one at a time from a shared counter, so a
//     worker that the OS preempts holds up at most the chunk it has, and the others take the rest;
//   - an idle worker spins for a few microseconds (the next loop of a step usually follows at once)
//     and then sleeps on a condition variable: waiting is passive, so a busy machine gets its
//     cores back;
//   - a loop started inside another (or while another thread of the process owns the pool) runs
//     on its caller alone: no nested teams, no oversubscription;
//   - a child of fork() gets a pool of its own (the parent's workers do not exist there).
// Results must not depend on how the range is chunked: f writes disjoint parts of its output.
#pragma once
#include <cstdint>
#include <type_traits>

namespace dien {

// The cores this process may run on (its CPU affinity), at least 1.
int usable_cores();

// Calls f(begin, end) over disjoint chunks covering [0, n) (nothing when n <= 0), on up to
// `threads` threads (the caller included), chunks of at least `grain` items. threads <= 1, a
// range of at most one grain, a nested call or a busy pool: f(0, n) on the caller.
template <class F>
void parallel_run(int64_t n, int64_t grain, int threads, F&& f);

namespace detail {
using ChunkFn = void (*)(void* ctx, int64_t begin, int64_t end);
void parallel_run_impl(int64_t n, int64_t grain, int threads, ChunkFn fn, void* ctx);
}  // namespace detail

template <class F>
void parallel_run(int64_t n, int64_t grain, int threads, F&& f) {
  if (n <= 0) return;
  auto tramp = [](void* ctx, int64_t b, int64_t e) { (*static_cast<std::remove_reference_t<F>*>(ctx))(b, e); };
  detail::parallel_run_impl(n, grain, threads, tramp, const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace dien
