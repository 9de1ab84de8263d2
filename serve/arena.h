// SPDX-License-Identifier: MIT
// Arena: the scratch floats of one scoring call, handed out by bumping a pointer (64-byte
// aligned) and taken back all at once by reset(). A call that needs more than the arena holds
// gets an extra block; the next reset() replaces the blocks by one big enough for both, so after
// the first calls of a given request shape a scoring call allocates nothing.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

namespace dien::serve {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() {
    for (auto& b : blocks_) std::free(b.data);
  }

  // n floats, uninitialised (zeros(n) for cleared ones).
  float* alloc(int64_t n) {
    const size_t want = round(static_cast<size_t>(n < 0 ? 0 : n));
    if (blocks_.empty() || blocks_.back().used + want > blocks_.back().size) grow(want);
    Block& b = blocks_.back();
    float* p = b.data + b.used;
    b.used += want;
    total_ += want;
    return p;
  }
  float* zeros(int64_t n) {
    float* p = alloc(n);
    if (n > 0) std::memset(p, 0, static_cast<size_t>(n) * sizeof(float));
    return p;
  }
  int64_t* alloc_ids(int64_t n) {  // int64 scratch from the same blocks (8 bytes = 2 floats)
    return reinterpret_cast<int64_t*>(alloc(2 * n));
  }

  void reset() {
    if (blocks_.size() > 1) {  // one block big enough for what the last call used
      size_t need = 0;
      for (auto& b : blocks_) need += b.size;
      for (auto& b : blocks_) std::free(b.data);
      blocks_.clear();
      grow(need);
    }
    if (!blocks_.empty()) blocks_.back().used = 0;
    total_ = 0;
  }
  size_t capacity_floats() const {
    size_t n = 0;
    for (auto& b : blocks_) n += b.size;
    return n;
  }
  int64_t blocks_made() const { return made_; }

 private:
  struct Block {
    float* data = nullptr;
    size_t size = 0, used = 0;
  };
  static size_t round(size_t n) { return (n + 15) / 16 * 16; }  // 16 floats = 64 bytes
  void grow(size_t want) {
    const size_t size = std::max<size_t>(want, 1 << 14);
    float* p = static_cast<float*>(std::aligned_alloc(64, size * sizeof(float)));
    if (!p) throw std::bad_alloc();
    blocks_.push_back(Block{p, size, 0});
    ++made_;
  }
  std::vector<Block> blocks_;
  size_t total_ = 0;
  int64_t made_ = 0;
};

}  // namespace dien::serve
