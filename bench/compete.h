// SPDX-License-Identifier: MIT
// Competing load for benchmarks (bench_train --compete N): N child processes that busy-loop on
// the CPU (like `yes > /dev/null`), started right before the timed part and stopped after it.
//
//   dien::bench::Competitors load(2);   // two busy children now
//   ... measure ...
//   load.stop();                        // or the destructor: SIGKILL + reap
//
// No child outlives the benchmark: each asks the kernel for SIGKILL when its parent dies
// (prctl(PR_SET_PDEATHSIG), so even a SIGKILLed or crashing benchmark leaves none behind); the
// benchmark itself kills and reaps them in the destructor, at exit(), on std::terminate and on
// SIGINT / SIGTERM / SIGHUP (then re-raises the signal with its default action). Linux only
// (elsewhere the constructor throws for N > 0). One instance at a time.
#pragma once
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

namespace dien::bench {

namespace compete_detail {
constexpr int kMax = 256;
inline volatile sig_atomic_t g_count = 0;
inline pid_t g_pids[kMax];

// Async-signal-safe: kill() and waitpid() only.
inline void kill_all() noexcept {
  const int n = g_count;
  g_count = 0;
  for (int i = 0; i < n; ++i)
    if (g_pids[i] > 0) kill(g_pids[i], SIGKILL);
  for (int i = 0; i < n; ++i)
    if (g_pids[i] > 0) {
      while (waitpid(g_pids[i], nullptr, 0) < 0 && errno == EINTR) {
      }
      g_pids[i] = 0;
    }
}

inline void on_signal(int sig) {
  kill_all();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

inline std::terminate_handler g_previous_terminate = nullptr;
inline void on_terminate() {
  kill_all();
  if (g_previous_terminate) g_previous_terminate();
  std::abort();
}

[[noreturn]] inline void busy_loop(pid_t parent) {
#if defined(__linux__)
  prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
  if (getppid() != parent) _exit(0);  // the parent died before prctl took effect
  // Default signal dispositions (the parent's handlers would kill the others from here).
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGHUP, SIG_DFL);
  volatile unsigned long x = 0;
  for (;;) x = x + 1;
}
}  // namespace compete_detail

class Competitors {
 public:
  explicit Competitors(int n) {
    if (n <= 0) return;
#if !defined(__linux__)
    throw std::runtime_error("--compete needs Linux");
#endif
    if (n > compete_detail::kMax) throw std::runtime_error("--compete: at most " + std::to_string(compete_detail::kMax));
    static bool installed = false;
    if (!installed) {
      installed = true;
      for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, compete_detail::on_signal);
      std::atexit(compete_detail::kill_all);
      compete_detail::g_previous_terminate = std::set_terminate(compete_detail::on_terminate);
    }
    const pid_t parent = getpid();
    for (int i = 0; i < n; ++i) {
      const pid_t pid = fork();
      if (pid < 0) {
        stop();
        throw std::runtime_error("--compete: fork failed");
      }
      if (pid == 0) compete_detail::busy_loop(parent);
      compete_detail::g_pids[i] = pid;
      compete_detail::g_count = i + 1;
    }
    n_ = n;
  }
  ~Competitors() { stop(); }
  Competitors(const Competitors&) = delete;
  Competitors& operator=(const Competitors&) = delete;

  int count() const { return n_; }
  // Kills (SIGKILL) and reaps every child; idempotent.
  void stop() noexcept { compete_detail::kill_all(); }

 private:
  int n_ = 0;
};

}  // namespace dien::bench
