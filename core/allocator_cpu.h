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
// WorkspaceScope is open, else aligned_alloc_bytes. Sets `release` to what gives it back (to that
// workspace, from any thread, even after the scope closed; or aligned_free).
void* allocate_storage_block(size_t nbytes, std::function<void(void*)>& release);

}  // namespace dien::cpu
