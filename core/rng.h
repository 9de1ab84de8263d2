// SPDX-License-Identifier: MIT
// Generator: a (seed, offset) pair over the Philox stream of core/philox.h. Every draw of n
// numbers reserves ceil(n/4) counters and advances the offset, so results depend only on the
// seed and the order of draws, on any device and any number of threads.
#pragma once
#include <cstdint>

namespace dien {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void manual_seed(uint64_t seed) { seed_ = seed; offset_ = 0; }
  void set_offset(uint64_t offset) { offset_ = offset; }
  // Reserves the counters for n words; returns the offset to draw them from.
  uint64_t reserve(uint64_t n) {
    uint64_t o = offset_;
    offset_ += (n + 3) / 4;
    return o;
  }
  // Convenience scalar draws (one counter each).
  double uniform01();
  uint64_t next_u64();
  // Uniform integer in [0, n).
  uint64_t randint(uint64_t n);

 private:
  uint64_t seed_ = 0;
  uint64_t offset_ = 0;
};

// The process-wide default generator (seed 0 until manual_seed is called).
Generator& default_generator();
void manual_seed(uint64_t seed);

}  // namespace dien
