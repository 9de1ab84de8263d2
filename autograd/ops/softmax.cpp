// SPDX-License-Identifier: MIT
// Differentiable softmax over the last dimension, plain and masked (the mask is data, not an
// input of the graph). Derivations: docs/derivations/matmul_shape_softmax.md.
#include "autograd/functions.h"
#include "kernels/dispatch.h"

namespace dien {

namespace {

Tensor softmax_impl(const char* op, const Tensor& x, const Tensor* mask) {
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend_for(x).softmax_forward(x, mask, y);
  // y_j = e_j / sum_k e_k on the valid entries: dy_j/dx_i = y_j (delta_ij - y_i), so
  //   gx_i = sum_j g_j y_j (delta_ij - y_i) = y_i (g_i - sum_j g_j y_j).
  // Masked entries and fully masked rows have y = 0, hence gx = 0 there: the same kernel
  // serves both ops.
  return record(op, y, {x}, [ys = y.detach()](const TensorList& g, const Needs&) {
    Tensor gx = Tensor::empty(ys.shape(), ys.dtype(), ys.device());
    backend_for(ys).softmax_backward(ys, g[0], gx);
    return TensorList{gx};
  });
}

void check_input(const char* op, const Tensor& x) {
  check_defined(op, x, "input");
  check_floating(op, x);
  if (x.ndim() < 1) fail(op, "needs at least 1 dim, got ", x.describe());
}

}  // namespace

// x [..., C] -> softmax over C.
Tensor softmax(const Tensor& x) {
  check_input("softmax", x);
  return softmax_impl("softmax", x, nullptr);
}

// x [..., C], mask of x's shape (any dtype, nonzero = valid) -> softmax over the valid entries.
Tensor masked_softmax(const Tensor& x, const Tensor& mask) {
  check_input("masked_softmax", x);
  check_defined("masked_softmax", mask, "mask");
  if (mask.shape() != x.shape())
    fail("masked_softmax", "mask must have the shape of x: x ", x.describe(), ", mask ", mask.describe());
  check_same_device("masked_softmax", x, mask);
  return softmax_impl("masked_softmax", x, &mask);
}

}  // namespace dien
