// SPDX-License-Identifier: MIT
// 64-byte aligned host allocations (cache line, and the widest AVX-512 load).
#pragma once
#include <cstddef>
#include <functional>

namespace dien::cpu {

inline constexpr size_t kAlignment = 64;
void* aligned_alloc_bytes(size_t nbytes);  // throws dien::Error when out of memory
void aligned_free(void* p);

// A block for a CPU Storage: from this thread's current Workspace (core/workspace.h) when a
// WorkspaceScope is open, else from the large-block cache below or aligned_alloc_bytes. Sets
// `release` to what gives it back (to that workspace, from any thread, even after the scope
// closed; or to the cache).
void* allocate_storage_block(size_t nbytes, std::function<void(void*)>& release);

// The large-block cache. A training step makes and drops the same big activations every step;
// fresh ones from malloc are fresh pages from the kernel (mmap above glibc's threshold), and
// their page faults and zeroing cost 10-15 % of a step. Storage blocks of at least 64 KiB are
// rounded up to 64 KiB and, when freed, kept for a later request of that size or up to a quarter
// smaller (best fit: batches whose longest history differs share blocks), up to a cap on the
// bytes held idle: 1 GiB, or DIEN_CPU_CACHE_MB from the environment (0 turns the cache off);
// a block that would exceed the cap is freed at once.
struct BlockCacheStats {
  size_t cached_bytes = 0, cached_blocks = 0, reused = 0, fresh = 0;
};
BlockCacheStats block_cache_stats();
void trim_block_cache();  // frees every idle cached block

}  // namespace dien::cpu
