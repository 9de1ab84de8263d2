// SPDX-License-Identifier: MIT
// Input validation shared by the ops; every message names the op and the tensors.
#include "autograd/functions.h"

namespace dien {

void check_defined(const char* op, const Tensor& t, const char* what) {
  if (!t.defined()) fail(op, what, " is an undefined tensor");
}

void check_floating(const char* op, const Tensor& t) {
  if (!is_floating(t.dtype())) fail(op, "expected an f32 or f64 tensor, got ", t.describe());
}

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype()) fail(op, "dtypes differ: ", a.describe(), " and ", b.describe());
}

void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  if (a.device() != b.device()) fail(op, "tensors are on different devices: ", a.describe(), " and ", b.describe());
}

void check_shape(const char* op, const Tensor& t, const Shape& want, const char* what) {
  if (t.shape() != want) fail(op, what, " must have shape ", want.str(), ", got ", t.describe());
}

void check_float_pair(const char* op, const Tensor& a, const char* what_a, const Tensor& b, const char* what_b) {
  check_defined(op, a, what_a);
  check_defined(op, b, what_b);
  check_floating(op, a);
  check_floating(op, b);
  check_same_dtype(op, a, b);
  check_same_device(op, a, b);
}

}  // namespace dien
