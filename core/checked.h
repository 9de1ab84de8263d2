// SPDX-License-Identifier: MIT
// Overflow-checked arithmetic for sizes that come from a file, a flag or a request. Each helper
// throws dien::Error("<op>: <what>: ...") instead of wrapping, so a crafted size never becomes a
// small allocation that a later loop writes past. `what` describes the size in the user's terms,
// e.g. checked_numel(dims, "load_safetensors", path, ": tensor 'w' shape [...]").
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"

namespace dien {

// The most elements a tensor may hold: its byte size (at most 8 bytes an element) must fit in int64.
constexpr int64_t kMaxNumel = std::numeric_limits<int64_t>::max() / 8;

// Largest layer width, embedding dim, dense dimension or history length accepted from a config,
// a flag or a data spec. Wider cannot be meaningful for a CTR model; the limit keeps products
// such as 3 * hidden * hidden far from overflow and makes a crafted value fail at once instead
// of after allocating terabytes.
constexpr int64_t kMaxWidth = int64_t{1} << 20;
// Largest vocabulary (rows of one embedding table) accepted from a config.
constexpr int64_t kMaxVocabulary = int64_t{1} << 40;

template <class... What>
int64_t checked_mul(int64_t a, int64_t b, const char* op, const What&... what) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) fail(op, what..., ": ", a, " * ", b, " does not fit in 64 bits");
  return r;
}

template <class... What>
int64_t checked_add(int64_t a, int64_t b, const char* op, const What&... what) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) fail(op, what..., ": ", a, " + ", b, " does not fit in 64 bits");
  return r;
}

template <class... What>
size_t checked_mul(size_t a, size_t b, const char* op, const What&... what) {
  size_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) fail(op, what..., ": ", a, " * ", b, " does not fit in 64 bits");
  return r;
}

template <class... What>
size_t checked_add(size_t a, size_t b, const char* op, const What&... what) {
  size_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) fail(op, what..., ": ", a, " + ", b, " does not fit in 64 bits");
  return r;
}

// Number of elements of `dims`, refusing negative dimensions and products above kMaxNumel. The
// product of the non-zero dimensions is checked too, so [2^62, 2^62, 0] is refused although it
// holds no element: the strides and partial products that kernels form from it would overflow.
template <class... What>
int64_t checked_numel(const int64_t* dims, size_t n, const char* op, const What&... what) {
  auto text = [&] {
    std::string s = "[";
    for (size_t i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
  };
  int64_t nonzero = 1;
  bool zero = false;
  for (size_t i = 0; i < n; ++i) {
    if (dims[i] < 0) fail(op, what..., ": shape ", text(), " has a negative dimension");
    if (dims[i] == 0) {
      zero = true;
      continue;
    }
    if (__builtin_mul_overflow(nonzero, dims[i], &nonzero) || nonzero > kMaxNumel)
      fail(op, what..., ": shape ", text(), " has too many elements (the limit is ", kMaxNumel, ")");
  }
  return zero ? 0 : nonzero;
}

template <class... What>
int64_t checked_numel(const std::vector<int64_t>& dims, const char* op, const What&... what) {
  return checked_numel(dims.data(), dims.size(), op, what...);
}

// Checks that a size read from a file or flag lies in [lo, hi]; `what` names it.
template <class... What>
int64_t checked_range(int64_t v, int64_t lo, int64_t hi, const char* op, const What&... what) {
  if (v < lo || v > hi) fail(op, what..., " = ", v, " must lie in [", lo, ", ", hi, "]");
  return v;
}

}  // namespace dien
