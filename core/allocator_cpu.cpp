// SPDX-License-Identifier: MIT
#include "core/allocator_cpu.h"

#include <cstdlib>

#include "core/error.h"

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

}  // namespace dien::cpu
