// SPDX-License-Identifier: MIT
#include "core/rng.h"

#include "core/philox.h"

namespace dien {

double Generator::uniform01() {
  uint64_t o = reserve(4);
  auto r = philox::philox4x32_10(o, seed_);
  // 53-bit double from two words.
  uint64_t bits = (static_cast<uint64_t>(r.v[0]) << 21) ^ (r.v[1] >> 11);
  return static_cast<double>(bits & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

uint64_t Generator::next_u64() {
  uint64_t o = reserve(4);
  auto r = philox::philox4x32_10(o, seed_);
  return (static_cast<uint64_t>(r.v[0]) << 32) | r.v[1];
}

uint64_t Generator::randint(uint64_t n) {
  if (n <= 1) return 0;
  // Rejection sampling removes modulo bias.
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  for (;;) {
    uint64_t x = next_u64();
    if (x < limit) return x % n;
  }
}

Generator& default_generator() {
  static Generator g(0);
  return g;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace dien
