// SPDX-License-Identifier: MIT
// Intra-op threads: how many threads one library call may use inside its kernels (the loops of
// the library's pool, core/parallel.h; never more than the cores the process may use). A host
// process owns its concurrency: a server with N request threads sets 1 here (the serving default,
// see serve/session.h) and gets N single-threaded calls, never N thread teams.
//
//   dien::set_num_threads(1);          // library-wide default for every thread (0: every core)
//   {
//     dien::ThreadScope scope(4);      // this thread's calls use 4 threads until the scope ends
//     model.predict(batch);
//   }
//
// A call that runs on one thread wakes no pool worker; idle workers sleep (core/parallel.h).
#pragma once

namespace dien {

// The library-wide default (0: every core this process may use, unless OMP_NUM_THREADS holds a
// positive number). Throws dien::Error for n < 0.
void set_num_threads(int n);
int default_num_threads();  // what set_num_threads() set (0: not set)
// What a kernel running on the calling thread uses now (>= 1): the innermost ThreadScope's
// value, else the library default, else OMP_NUM_THREADS or the usable cores.
int num_threads();

// Sets the calling thread's intra-op threads for the scope's lifetime (scopes nest; 0 means
// the library default). Throws dien::Error for n < 0.
class ThreadScope {
 public:
  explicit ThreadScope(int n);
  ~ThreadScope();
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int previous_;
};

}  // namespace dien
