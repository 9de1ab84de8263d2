// SPDX-License-Identifier: MIT
// Intra-op threads: how many threads one library call may use inside its kernels (OpenMP loops
// and Eigen's products). A host process owns its concurrency: a server with N request threads
// sets 1 here (the serving default, see serve/session.h) and gets N single-threaded calls, never
// N OpenMP teams.
//
//   dien::set_num_threads(1);          // library-wide default for every thread (0: every core)
//   {
//     dien::ThreadScope scope(4);      // this thread's calls use 4 threads until the scope ends
//     model.predict(batch);
//   }
//
// A call that runs on one thread never enters an OpenMP parallel region, so it starts no team
// and no thread spins waiting for work.
#pragma once

namespace dien {

// The library-wide default (0: OpenMP's default, every core unless OMP_NUM_THREADS says
// otherwise). Throws dien::Error for n < 0.
void set_num_threads(int n);
int default_num_threads();  // what set_num_threads() set (0: not set)
// What a kernel running on the calling thread uses now (>= 1): the innermost ThreadScope's
// value, else the library default, else OpenMP's.
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
