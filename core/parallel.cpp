// SPDX-License-Identifier: MIT
#include "core/parallel.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace dien {

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Spins of an idle worker (or of a caller waiting for its helpers) before it sleeps: long enough
// to catch the next loop of a training step across the host work between two loops (with a
// quarter of this, the worker was often asleep and woken by a futex call at the next loop:
// bench/RESULTS.md), short enough not to matter to a process that wants the core (a fraction of
// a millisecond; the contended benchmark keeps its share).
constexpr int kSpins = 16000;

// One parallel loop: chunks of `chunk` items handed out from `next`.
struct Job {
  detail::ChunkFn fn;
  void* ctx;
  int64_t n, chunk;
  std::atomic<int64_t> next{0};
  std::mutex error_mu;
  std::exception_ptr error;  // the first exception a chunk threw; the caller rethrows it
  void run() {
    for (;;) {
      const int64_t b = next.fetch_add(chunk, std::memory_order_relaxed);
      if (b >= n) return;
      try {
        fn(ctx, b, std::min(n, b + chunk));
      } catch (...) {
        std::lock_guard<std::mutex> lk(error_mu);
        if (!error) error = std::current_exception();
        next.store(n, std::memory_order_relaxed);  // the remaining chunks are not run
      }
    }
  }
};

thread_local bool t_in_loop = false;  // this thread runs a chunk of a parallel loop

class Pool {
 public:
  // The process's pool, never destroyed (workers may outlive static destructors). A child of
  // fork() has none of its parent's workers: it starts a pool of its own (the parent's is left,
  // its locks possibly held by threads that do not exist in the child).
  static Pool& get() {
    static std::once_flag once;
    std::call_once(once, [] {
      current_ = new Pool();
      pthread_atfork(nullptr, nullptr, [] { current_ = new Pool(); });
    });
    return *current_;
  }

  // Runs `job` on the caller and up to `helpers` workers; false (nothing run) if another thread
  // owns the pool now.
  bool run(Job& job, int helpers) {
    std::unique_lock<std::mutex> owner(owner_, std::try_to_lock);
    if (!owner.owns_lock()) return false;
    ensure_workers(helpers);
    {
      std::lock_guard<std::mutex> lk(m_);
      job_ = &job;
      want_ = helpers;
      gen_.fetch_add(1, std::memory_order_release);
    }
    cv_work_.notify_all();
    t_in_loop = true;
    job.run();
    t_in_loop = false;
    // No worker joins from now on; wait for those inside the job (they run at most one chunk
    // each beyond this point, the counter being exhausted).
    std::unique_lock<std::mutex> lk(m_);
    want_ = 0;
    if (running_ > 0) {
      lk.unlock();
      for (int i = 0; i < kSpins && running_.load(std::memory_order_acquire) > 0; ++i) cpu_relax();
      lk.lock();
      cv_done_.wait(lk, [&] { return running_ == 0; });
    }
    job_ = nullptr;
    return true;
  }

 private:
  Pool() = default;

  void ensure_workers(int helpers) {
    while (static_cast<int>(workers_.size()) < helpers) workers_.emplace_back([this] { work(); });
  }

  void work() {
    // A worker is created just before the loop that needs it starts, so it starts having seen
    // none: it joins that loop, or finds an old one finished (job_ null or full) and sleeps.
    uint64_t seen = 0;
    for (;;) {
      for (int i = 0; i < kSpins && gen_.load(std::memory_order_acquire) == seen; ++i) cpu_relax();
      std::unique_lock<std::mutex> lk(m_);
      cv_work_.wait(lk, [&] { return gen_ != seen; });
      seen = gen_;
      if (want_ == 0 || !job_) continue;
      --want_;
      ++running_;
      Job* job = job_;
      lk.unlock();
      t_in_loop = true;
      job->run();
      t_in_loop = false;
      lk.lock();
      if (--running_ == 0) cv_done_.notify_one();
    }
  }

  std::mutex owner_;  // held by the thread whose loop the pool runs
  std::mutex m_;
  std::condition_variable cv_work_, cv_done_;
  // Written under m_; atomic so that a spinning thread may read them without it.
  std::atomic<uint64_t> gen_{0};  // loops started
  Job* job_ = nullptr;
  int want_ = 0;     // workers that may still join the current loop
  std::atomic<int> running_{0};  // workers inside it (written under m_, like gen_)
  std::vector<std::thread> workers_;
  static inline Pool* current_ = nullptr;
};

}  // namespace

int usable_cores() {
  static const int n = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
      const int c = CPU_COUNT(&set);
      if (c > 0) return c;
    }
    const unsigned h = std::thread::hardware_concurrency();
    return h > 0 ? static_cast<int>(h) : 1;
  }();
  return n;
}

namespace detail {

void parallel_run_impl(int64_t n, int64_t grain, int threads, ChunkFn fn, void* ctx) {
  grain = std::max<int64_t>(grain, 1);
  threads = std::min(threads, usable_cores());
  if (threads > 1 && n > grain && !t_in_loop) {
    // Up to 4 chunks a thread (a preempted thread delays at most one small chunk), none below
    // the grain.
    const int64_t pieces = std::min<int64_t>((n + grain - 1) / grain, int64_t{4} * threads);
    Job job;
    job.fn = fn;
    job.ctx = ctx;
    job.n = n;
    job.chunk = (n + pieces - 1) / pieces;
    const int helpers = static_cast<int>(std::min<int64_t>(threads - 1, pieces - 1));
    if (Pool::get().run(job, helpers)) {
      if (job.error) std::rethrow_exception(job.error);
      return;
    }
  }
  fn(ctx, 0, n);
}

}  // namespace detail

}  // namespace dien
