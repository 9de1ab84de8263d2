// SPDX-License-Identifier: MIT
// 64-byte aligned host allocations (cache line, and the widest AVX-512 load).
#pragma once
#include <cstddef>

namespace dien::cpu {

inline constexpr size_t kAlignment = 64;
void* aligned_alloc_bytes(size_t nbytes);  // throws dien::Error when out of memory
void aligned_free(void* p);

}  // namespace dien::cpu
