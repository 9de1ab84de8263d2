// SPDX-License-Identifier: MIT
// Workspace: a cache of 64-byte aligned host blocks, reused by size, so that a loop that makes
// tensors of the same shapes again and again (inference) stops calling malloc/free after its
// first pass.
//
//   auto ws = std::make_shared<dien::Workspace>();
//   for (...) {
//     dien::WorkspaceScope scope(ws);         // this thread's CPU tensors now come from ws
//     dien::Tensor p = model.predict(batch);  // first pass: fresh blocks; later: cached ones
//     ...
//   }                                          // blocks freed here go back to ws, not to free()
//   auto s = ws->stats();                      // s.fresh, s.reused
//
// The scope is thread-local and nests (the innermost wins). A block always goes back to the
// workspace it came from, whichever thread frees it and whether or not the scope is still open:
// each storage's deleter holds a shared_ptr to its workspace, and the free lists are guarded by a
// mutex. Blocks held by the cache are freed when the workspace dies or on trim(). Only CPU storage
// made through Storage(nbytes, cpu) is served; CUDA memory and wrapped memory are not.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace dien {

class Workspace {
 public:
  struct Stats {
    uint64_t fresh = 0;        // blocks allocated from the system
    uint64_t reused = 0;       // blocks served from the cache
    uint64_t returned = 0;     // blocks given back to the cache
    uint64_t cached_blocks = 0;  // blocks in the cache now
    uint64_t cached_bytes = 0;   // their total size
  };

  Workspace() = default;
  ~Workspace();  // frees the cached blocks (blocks still in use keep the workspace alive)
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  // A block of at least nbytes (rounded up to 64), from the cache when one of that size is free.
  void* take(size_t nbytes);
  // Returns a block made by take(nbytes) of this workspace to its cache.
  void give(void* p, size_t nbytes);
  // Frees every cached block.
  void trim();
  Stats stats() const;

  static size_t block_size(size_t nbytes);  // nbytes rounded up to a multiple of 64, at least 64

 private:
  mutable std::mutex mu_;
  std::map<size_t, std::vector<void*>> free_;  // block size -> free blocks
  Stats stats_;
};

// Routes this thread's CPU storage allocations to `ws` for the scope's lifetime.
class WorkspaceScope {
 public:
  explicit WorkspaceScope(std::shared_ptr<Workspace> ws);
  ~WorkspaceScope();
  WorkspaceScope(const WorkspaceScope&) = delete;
  WorkspaceScope& operator=(const WorkspaceScope&) = delete;

 private:
  std::shared_ptr<Workspace> prev_;
};

// The workspace of this thread's innermost WorkspaceScope, or null.
const std::shared_ptr<Workspace>& current_workspace();

}  // namespace dien
