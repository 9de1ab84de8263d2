// SPDX-License-Identifier: MIT
// Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11),
// the counter-based generator that cuRAND and PyTorch use. Header-only and usable from
// CUDA device code, so that the CPU and GPU draw identical streams.
//
// dien's stream convention (the same on every backend):
//   element i of a draw with (seed, offset) uses counter = (offset + i / 4) as a 64-bit value
//   in words (c0, c1), c2 = c3 = 0, key = seed split into (k0, k1); it takes lane i % 4.
//   A draw of n elements consumes ceil(n / 4) counters; the Generator advances its offset so.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define DIEN_HD __host__ __device__ __forceinline__
#else
#define DIEN_HD inline
#endif

namespace dien::philox {

struct U32x4 {
  uint32_t v[4];
};

DIEN_HD uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

// The full generator: 128-bit counter, 64-bit key (Random123's philox4x32_R with R = 10).
DIEN_HD U32x4 philox4x32_10(U32x4 ctr, uint32_t k0, uint32_t k1) {
  uint32_t c0 = ctr.v[0], c1 = ctr.v[1], c2 = ctr.v[2], c3 = ctr.v[3];
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, hi1;
    uint32_t lo0 = mulhilo(0xD2511F53u, c0, &hi0);
    uint32_t lo1 = mulhilo(0xCD9E8D57u, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;  // key schedule (Weyl sequence)
    k1 += 0xBB67AE85u;
  }
  return U32x4{{c0, c1, c2, c3}};
}

// dien's use: a 64-bit counter in the low words, the 64-bit seed as the key.
DIEN_HD U32x4 philox4x32_10(uint64_t counter, uint64_t seed) {
  U32x4 ctr{{static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32), 0u, 0u}};
  return philox4x32_10(ctr, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// The i-th 32-bit word of the stream (seed, offset).
DIEN_HD uint32_t word(uint64_t seed, uint64_t offset, uint64_t i) {
  return philox4x32_10(offset + i / 4, seed).v[i % 4];
}

// Uniform float in [0, 1) from the top 24 bits of a word.
DIEN_HD float to_unit_float(uint32_t w) { return static_cast<float>(w >> 8) * (1.0f / 16777216.0f); }
// Uniform double in [0, 1) with 32 bits of resolution (same word as the float draw).
DIEN_HD double to_unit_double(uint32_t w) { return static_cast<double>(w) * (1.0 / 4294967296.0); }

}  // namespace dien::philox
