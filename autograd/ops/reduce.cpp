// SPDX-License-Identifier: MIT
// Reductions and broadcasting: sum/mean (all or one dim), sum_to and expand (each the
// other's adjoint). Derivations: docs/derivations/elementwise.md.
#include "autograd/functions.h"
#include "kernels/dispatch.h"

namespace dien {

namespace {
void check_reducible(const char* op, const Tensor& x) {
  check_defined(op, x, "input");
  check_floating(op, x);
}

void check_broadcastable(const char* op, const Shape& small, const Shape& big) {
  Shape b = broadcast_shapes(small, big, op);
  if (b != big || small.size() > big.size())
    fail(op, "shape ", small.str(), " does not broadcast to ", big.str());
}
}  // namespace

// d sum_to(x, s) = expand(g, shape(x)).
Tensor sum_to(const Tensor& x, const Shape& shape) {
  check_reducible("sum_to", x);
  check_broadcastable("sum_to", shape, x.shape());
  Tensor out = Tensor::empty(shape, x.dtype(), x.device());
  backend_for(x).sum_to(x, out, 0.0);
  Shape xs = x.shape();
  return record("sum_to", out, {x}, [xs](const TensorList& g, const Needs&) {
    return TensorList{expand(g[0], xs)};
  });
}

// d expand(x, s) = sum_to(g, shape(x)).
Tensor expand(const Tensor& x, const Shape& shape) {
  check_reducible("expand", x);
  check_broadcastable("expand", x.shape(), shape);
  Tensor out = Tensor::empty(shape, x.dtype(), x.device());
  backend_for(x).expand(x, out);
  Shape xs = x.shape();
  return record("expand", out, {x}, [xs](const TensorList& g, const Needs&) {
    return TensorList{sum_to(g[0], xs)};
  });
}

Tensor sum(const Tensor& x) {
  check_reducible("sum", x);
  return sum_to(x, Shape{});
}

Tensor sum(const Tensor& x, int dim, bool keepdim) {
  check_reducible("sum", x);
  int d = x.shape().wrap_dim(dim, "sum");
  std::vector<int64_t> keep = x.shape().vec();
  keep[d] = 1;
  Tensor s = sum_to(x, Shape(keep));
  if (keepdim) return s;
  keep.erase(keep.begin() + d);
  return s.reshape(keep);
}

Tensor mean(const Tensor& x) {
  check_reducible("mean", x);
  if (x.numel() == 0) fail("mean", "mean of an empty tensor ", x.describe());
  return mul(sum(x), 1.0 / static_cast<double>(x.numel()));
}

Tensor mean(const Tensor& x, int dim, bool keepdim) {
  check_reducible("mean", x);
  int d = x.shape().wrap_dim(dim, "mean");
  if (x.shape()[d] == 0) fail("mean", "mean over an empty dimension ", dim, " of ", x.describe());
  return mul(sum(x, d, keepdim), 1.0 / static_cast<double>(x.shape()[d]));
}

}  // namespace dien
