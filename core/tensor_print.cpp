// SPDX-License-Identifier: MIT
// Human-readable printing: nested brackets, at most max_per_dim entries per dimension.
#include <iomanip>
#include <sstream>

#include "core/tensor.h"

namespace dien {

namespace {
void print_rec(std::ostringstream& os, const std::vector<double>& v, const Shape& s, int dim,
               int64_t base, int maxn, bool integral) {
  if (s.size() == 0) {
    os << v[0];
    return;
  }
  if (dim >= Shape::kMaxDims) return;
  int64_t n = s[dim];
  auto strides = s.strides();
  os << "[";
  for (int64_t i = 0; i < n; ++i) {
    if (n > maxn && i == maxn / 2) {
      os << "..., ";
      i = n - maxn / 2;
    }
    if (dim + 1 == s.size()) {
      double x = v[base + i];
      if (integral) os << static_cast<int64_t>(x); else os << x;
    } else {
      print_rec(os, v, s, dim + 1, base + i * strides[dim], maxn, integral);
    }
    if (i + 1 < n) os << ", ";
  }
  os << "]";
}
}  // namespace

std::string Tensor::str(int max_per_dim) const {
  if (!defined()) return "Tensor(<undefined>)";
  Tensor h = detach().to(Device::cpu()).to(DType::F64);
  std::vector<double> v = h.to_vector<double>();
  std::ostringstream os;
  os << std::setprecision(6) << "Tensor(";
  if (numel() == 0) os << "[]"; else print_rec(os, v, shape(), 0, 0, max_per_dim, is_integral(dtype()));
  os << ", shape=" << shape().str() << ", dtype=" << dtype_name(dtype()) << ", device=" << device().str();
  if (requires_grad()) os << ", requires_grad";
  os << ")";
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace dien
