// SPDX-License-Identifier: MIT
// Shape of a tensor: up to 4 dimensions, row-major (the last dimension is contiguous).
// Letters used across the project in shape comments:
//   B = batch, T = sequence length (time), E = embedding dim, H = hidden size,
//   D = input feature dim, V = vocabulary size, C = channels/features, N = rows.
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace dien {

class Shape {
 public:
  static constexpr int kMaxDims = 4;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims);

  int size() const { return n_; }              // number of dimensions
  int64_t operator[](int i) const { return d_[i]; }
  int64_t& operator[](int i) { return d_[i]; }
  int64_t at(int i) const;                     // negative i counts from the end; checked
  int64_t numel() const;
  int64_t back() const { return d_[n_ - 1]; }
  std::vector<int64_t> vec() const { return {d_.begin(), d_.begin() + n_}; }
  // Row-major strides in elements.
  std::array<int64_t, kMaxDims> strides() const;
  // Wraps a possibly negative dimension index into [0, size()); throws naming `op`.
  int wrap_dim(int dim, const char* op) const;
  std::string str() const;                     // "[2, 3]"

  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }

 private:
  std::array<int64_t, kMaxDims> d_{0, 0, 0, 0};
  int n_ = 0;
};

// NumPy/PyTorch broadcasting of two shapes (aligned at the trailing dimension).
// Throws dien::Error naming `op` and both shapes when they are incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace dien
