// SPDX-License-Identifier: MIT
#include "core/allocator_cpu.h"

#include <cstdlib>

#include "core/error.h"
#include "core/workspace.h"

namespace dien::cpu {

void* aligned_alloc_bytes(size_t nbytes) {
  // std::aligned_alloc needs the size to be a multiple of the alignment; never ask for 0 bytes.
  size_t rounded = (nbytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0) rounded = kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (!p) fail("alloc", "out of host memory allocating ", nbytes, " bytes");
  return p;
}

void aligned_free(void* p) { std::free(p); }

void* allocate_storage_block(size_t nbytes, std::function<void(void*)>& release) {
  if (const std::shared_ptr<Workspace>& ws = current_workspace()) {
    void* p = ws->take(nbytes);
    release = [ws, nbytes](void* q) { ws->give(q, nbytes); };
    return p;
  }
  release = [](void* q) { aligned_free(q); };
  return aligned_alloc_bytes(nbytes);
}

}  // namespace dien::cpu
