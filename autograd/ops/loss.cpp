// SPDX-License-Identifier: MIT
// Losses: binary cross-entropy on probabilities and on logits (one elementwise node each, with
// backward kernels) and mean squared error (composed), each with a None/Mean/Sum reduction
// done by the differentiable reduce ops. Targets of bce/bce_with_logits are constants: no
// gradient flows to them (labels in a CTR model). mse is differentiable in both arguments.
// Derivations: docs/derivations/nn_ops.md.
#include "autograd/functions.h"
#include "kernels/dispatch.h"

namespace dien {

namespace {

void check_pair(const char* op, const Tensor& input, const Tensor& target) {
  check_float_pair(op, input, "input", target, "target");
  if (input.shape() != target.shape())
    fail(op, "input ", input.describe(), " and target ", target.describe(), " must have the same shape");
}

Tensor reduce(const Tensor& l, Reduction r) {
  switch (r) {
    case Reduction::None: return l;
    case Reduction::Mean: return mean(l);
    case Reduction::Sum: return sum(l);
  }
  return l;
}

}  // namespace

// l = -(t log p + (1-t) log(1-p)) with p clamped to [eps, 1-eps]:
// dl/dp = -t/p + (1-t)/(1-p) = (p - t) / (p (1 - p)) inside the clamp, 0 outside (flat there).
Tensor bce(const Tensor& p, const Tensor& t, Reduction r, double eps) {
  check_pair("bce", p, t);
  if (!(eps >= 0.0 && eps < 0.5)) fail("bce", "eps must be in [0, 0.5), got ", eps);
  Tensor l = Tensor::empty(p.shape(), p.dtype(), p.device());
  backend_for(p).bce_forward(p, t, eps, l);
  l = record("bce", l, {p}, [ps = p.detach(), ts = t.detach(), eps](const TensorList& g, const Needs&) {
    Tensor gp = Tensor::empty(ps.shape(), ps.dtype(), ps.device());
    backend_for(g[0]).bce_backward(ps, ts, eps, g[0], gp);
    return TensorList{gp};
  });
  return reduce(l, r);
}

// l = max(x,0) - x t + log(1 + exp(-|x|)) = log(1 + e^x) - x t  ->  dl/dx = sigmoid(x) - t.
Tensor bce_with_logits(const Tensor& x, const Tensor& t, Reduction r) {
  check_pair("bce_with_logits", x, t);
  Tensor l = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend_for(x).bce_logits_forward(x, t, l);
  l = record("bce_with_logits", l, {x}, [xs = x.detach(), ts = t.detach()](const TensorList& g, const Needs&) {
    Tensor gx = Tensor::empty(xs.shape(), xs.dtype(), xs.device());
    backend_for(g[0]).bce_logits_backward(xs, ts, g[0], gx);
    return TensorList{gx};
  });
  return reduce(l, r);
}

// l = (a - b)^2, composed: dl/da = 2 (a - b), dl/db = -2 (a - b) (from sub and mul).
Tensor mse(const Tensor& a, const Tensor& b, Reduction r) {
  check_pair("mse", a, b);
  Tensor d = sub(a, b);
  return reduce(mul(d, d), r);
}

}  // namespace dien
