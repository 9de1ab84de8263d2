// SPDX-License-Identifier: MIT
// Differentiable elementwise ops: broadcast arithmetic, scalar affine maps and activations.
// Derivations: docs/derivations/elementwise.md.
#include "autograd/functions.h"
#include "kernels/dispatch.h"

namespace dien {

namespace {

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, BackwardFn bwd) {
  const char* name = binary_op_name(op);
  check_float_pair(name, a, "left operand", b, "right operand");
  Shape s = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out = Tensor::empty(s, a.dtype(), a.device());
  backend_for(a).binary_forward(op, a, b, out);
  return record(name, out, {a, b}, std::move(bwd));
}

// Reduces a gradient of the broadcast shape back to an operand's shape.
Tensor reduce_to(const Tensor& g, const Shape& s) { return g.shape() == s ? g : sum_to(g, s); }

Tensor unary(UnaryOp op, const Tensor& x) {
  const char* name = unary_op_name(op);
  check_defined(name, x, "input");
  check_floating(name, x);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend_for(x).unary_forward(op, x, y);
  bool keep_x = op == UnaryOp::Log || op == UnaryOp::Relu;
  Tensor xs = keep_x ? x.detach() : Tensor(), ys = keep_x ? Tensor() : y.detach();
  return record(name, y, {x}, [op, xs, ys](const TensorList& g, const Needs&) {
    Tensor gx = Tensor::empty(g[0].shape(), g[0].dtype(), g[0].device());
    backend_for(g[0]).unary_backward(op, xs, ys, g[0], gx, 0.0);
    return TensorList{gx};
  });
}

}  // namespace

// d(a+b) = da + db, each reduced over the dims it was broadcast along.
Tensor add(const Tensor& a, const Tensor& b) {
  Shape sa = a.defined() ? a.shape() : Shape{}, sb = b.defined() ? b.shape() : Shape{};
  return binary(BinaryOp::Add, a, b, [sa, sb](const TensorList& g, const Needs& n) {
    return TensorList{n[0] ? reduce_to(g[0], sa) : Tensor(), n[1] ? reduce_to(g[0], sb) : Tensor()};
  });
}

// d(a-b) = da - db.
Tensor sub(const Tensor& a, const Tensor& b) {
  Shape sa = a.defined() ? a.shape() : Shape{}, sb = b.defined() ? b.shape() : Shape{};
  return binary(BinaryOp::Sub, a, b, [sa, sb](const TensorList& g, const Needs& n) {
    return TensorList{n[0] ? reduce_to(g[0], sa) : Tensor(), n[1] ? reduce_to(neg(g[0]), sb) : Tensor()};
  });
}

// d(ab) = b da + a db.
Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor ad = a.defined() ? a.detach() : Tensor(), bd = b.defined() ? b.detach() : Tensor();
  return binary(BinaryOp::Mul, a, b, [ad, bd](const TensorList& g, const Needs& n) {
    return TensorList{n[0] ? reduce_to(mul(g[0], bd), ad.shape()) : Tensor(),
                      n[1] ? reduce_to(mul(g[0], ad), bd.shape()) : Tensor()};
  });
}

// d(a/b) = da / b - a db / b^2.
Tensor div(const Tensor& a, const Tensor& b) {
  Tensor ad = a.defined() ? a.detach() : Tensor(), bd = b.defined() ? b.detach() : Tensor();
  return binary(BinaryOp::Div, a, b, [ad, bd](const TensorList& g, const Needs& n) {
    Tensor ga, gb;
    if (n[0]) ga = reduce_to(div(g[0], bd), ad.shape());
    if (n[1]) gb = reduce_to(neg(div(mul(g[0], ad), mul(bd, bd))), bd.shape());
    return TensorList{ga, gb};
  });
}

// d(alpha a + beta) = alpha da.
Tensor affine(const Tensor& a, double alpha, double beta) {
  check_defined("affine", a, "input");
  check_floating("affine", a);
  Tensor y = Tensor::empty(a.shape(), a.dtype(), a.device());
  backend_for(a).scale_shift(a, alpha, beta, y);
  return record("affine", y, {a}, [alpha](const TensorList& g, const Needs&) {
    Tensor gx = Tensor::empty(g[0].shape(), g[0].dtype(), g[0].device());
    backend_for(g[0]).scale_shift(g[0], alpha, 0.0, gx);
    return TensorList{gx};
  });
}

Tensor add(const Tensor& a, double s) { return affine(a, 1.0, s); }
Tensor mul(const Tensor& a, double s) { return affine(a, s, 0.0); }
Tensor rsub(const Tensor& a, double s) { return affine(a, -1.0, s); }

Tensor neg(const Tensor& x) { return unary(UnaryOp::Neg, x); }
Tensor exp(const Tensor& x) { return unary(UnaryOp::Exp, x); }
Tensor log(const Tensor& x) { return unary(UnaryOp::Log, x); }
Tensor sigmoid(const Tensor& x) { return unary(UnaryOp::Sigmoid, x); }
Tensor tanh(const Tensor& x) { return unary(UnaryOp::Tanh, x); }
Tensor relu(const Tensor& x) { return unary(UnaryOp::Relu, x); }

}  // namespace dien
