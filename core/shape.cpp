// SPDX-License-Identifier: MIT
#include "core/shape.h"

#include "core/checked.h"
#include "core/error.h"

namespace dien {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::vector<int64_t>(dims)) {}

Shape::Shape(const std::vector<int64_t>& dims) {
  if (dims.size() > static_cast<size_t>(kMaxDims)) {
    std::string s = "[";
    for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    fail("shape", "at most ", kMaxDims, " dimensions are supported, got ", s, "]");
  }
  n_ = static_cast<int>(dims.size());
  for (int i = 0; i < n_; ++i) {
    if (dims[i] < 0) fail("shape", "negative dimension ", dims[i], " at index ", i);
    d_[i] = dims[i];
  }
  // Refuses shapes whose element count (or byte size) cannot be represented; numel() and
  // strides() then never overflow for a shape built here.
  checked_numel(dims, "shape", "cannot create a tensor");
}

int64_t Shape::at(int i) const { return d_[wrap_dim(i, "shape")]; }

int64_t Shape::numel() const {
  int64_t n = 1;
  // operator[] may have grown a dimension after construction, so the product is checked here too.
  for (int i = 0; i < n_; ++i)
    if (__builtin_mul_overflow(n, d_[i], &n)) return checked_numel(d_.data(), n_, "shape", "numel");
  return n;
}

std::array<int64_t, Shape::kMaxDims> Shape::strides() const {
  std::array<int64_t, kMaxDims> s{0, 0, 0, 0};
  int64_t acc = 1;
  for (int i = n_ - 1; i >= 0; --i) {
    s[i] = acc;
    acc *= d_[i];
  }
  return s;
}

int Shape::wrap_dim(int dim, const char* op) const {
  int d = dim < 0 ? dim + n_ : dim;
  if (d < 0 || d >= n_) fail(op, "dimension ", dim, " is out of range for shape ", str());
  return d;
}

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < n_; ++i) s += (i ? ", " : "") + std::to_string(d_[i]);
  return s + "]";
}

bool Shape::operator==(const Shape& o) const {
  if (n_ != o.n_) return false;
  for (int i = 0; i < n_; ++i)
    if (d_[i] != o.d_[i]) return false;
  return true;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  int n = std::max(a.size(), b.size());
  std::vector<int64_t> out(n);
  for (int i = 0; i < n; ++i) {
    int ia = a.size() - n + i, ib = b.size() - n + i;
    int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1)
      fail(op, "shapes ", a.str(), " and ", b.str(), " cannot be broadcast (dimension ", i,
           ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return Shape(out);
}

}  // namespace dien
