// SPDX-License-Identifier: MIT
#include "core/workspace.h"

#include <utility>

#include "core/allocator_cpu.h"
#include "core/error.h"

namespace dien {

namespace {
thread_local std::shared_ptr<Workspace> t_current;
}

size_t Workspace::block_size(size_t nbytes) {
  size_t rounded = (nbytes + cpu::kAlignment - 1) / cpu::kAlignment * cpu::kAlignment;
  return rounded == 0 ? cpu::kAlignment : rounded;
}

Workspace::~Workspace() { trim(); }

void* Workspace::take(size_t nbytes) {
  size_t size = block_size(nbytes);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.find(size);
    if (it != free_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      ++stats_.reused;
      --stats_.cached_blocks;
      stats_.cached_bytes -= size;
      return p;
    }
    ++stats_.fresh;
  }
  return cpu::aligned_alloc_bytes(size);
}

void Workspace::give(void* p, size_t nbytes) {
  if (!p) return;
  size_t size = block_size(nbytes);
  std::lock_guard<std::mutex> lock(mu_);
  free_[size].push_back(p);
  ++stats_.returned;
  ++stats_.cached_blocks;
  stats_.cached_bytes += size;
}

void Workspace::trim() {
  std::map<size_t, std::vector<void*>> blocks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    blocks.swap(free_);
    stats_.cached_blocks = 0;
    stats_.cached_bytes = 0;
  }
  for (auto& [size, ps] : blocks)
    for (void* p : ps) cpu::aligned_free(p);
}

Workspace::Stats Workspace::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

WorkspaceScope::WorkspaceScope(std::shared_ptr<Workspace> ws) : prev_(std::move(t_current)) {
  if (!ws) fail("WorkspaceScope", "the workspace is null");
  t_current = std::move(ws);
}

WorkspaceScope::~WorkspaceScope() { t_current = std::move(prev_); }

const std::shared_ptr<Workspace>& current_workspace() { return t_current; }

}  // namespace dien
