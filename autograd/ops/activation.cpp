// SPDX-License-Identifier: MIT
// Differentiable activations with parameters: PReLU (one node, hand-written backward kernel)
// and Dice (composed from batch_norm, sigmoid and elementwise ops, so its gradient flows through
// the batch statistics exactly). Derivations: docs/derivations/nn_ops.md.
#include "autograd/functions.h"
#include "kernels/dispatch.h"

namespace dien {

// y = x > 0 ? x : w[c] x.
// dy/dx = x > 0 ? 1 : w[c];  dy/dw[c] = x > 0 ? 0 : x, so gw[c] = sum over rows of gy * min(x, 0)
// (and over all elements when w is shared, w [1]). x == 0 takes the w branch (derivative 0 for w).
Tensor prelu(const Tensor& x, const Tensor& w) {
  check_defined("prelu", x, "input");
  check_defined("prelu", w, "weight");
  check_floating("prelu", x);
  check_floating("prelu", w);
  check_same_dtype("prelu", x, w);
  check_same_device("prelu", x, w);
  if (x.ndim() < 1) fail("prelu", "input must have at least 1 dimension, got ", x.describe());
  const int64_t C = x.shape().back();
  if (w.ndim() != 1 || (w.numel() != C && w.numel() != 1))
    fail("prelu", "weight must have shape [", C, "] (one per channel of the last dim) or [1], got weight ",
         w.describe(), " for input ", x.describe());
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend_for(x).prelu_forward(x, w, y);
  return record("prelu", y, {x, w}, [xs = x.detach(), ws = w.detach()](const TensorList& g, const Needs& n) {
    Tensor gx = n[0] ? Tensor::empty(xs.shape(), xs.dtype(), xs.device()) : Tensor();
    Tensor gw = n[1] ? Tensor::empty(ws.shape(), ws.dtype(), ws.device()) : Tensor();
    backend_for(g[0]).prelu_backward(xs, ws, g[0], n[0] ? &gx : nullptr, n[1] ? &gw : nullptr, 0.0);
    return TensorList{gx, gw};
  });
}

// xf = x as [M, C]; p = sigmoid(batch_norm(xf)) without affine; y = p xf + (1 - p) alpha xf
// = xf (alpha + p (1 - alpha)). No hand-written backward: the composed graph gives
// dy/dxf = alpha + p (1 - alpha) + xf (1 - alpha) dp/dxf, with dp/dxf = p (1 - p) dbn/dxf
// through the batch mean and variance in training mode, and dy/dalpha = (1 - p) xf.
Tensor dice(const Tensor& x, const Tensor& alpha, Tensor& running_mean, Tensor& running_var, bool training,
            double momentum, double eps) {
  return dice(x, alpha, Tensor(), Tensor(), running_mean, running_var, training, momentum, eps);
}

Tensor dice(const Tensor& x, const Tensor& alpha, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
            Tensor& running_var, bool training, double momentum, double eps) {
  check_defined("dice", x, "input");
  check_defined("dice", alpha, "alpha");
  check_floating("dice", x);
  check_same_dtype("dice", x, alpha);
  check_same_device("dice", x, alpha);
  if (x.ndim() != 2 && x.ndim() != 3)
    fail("dice", "input must be [N, C] or [B, T, C], got ", x.describe());
  const int64_t C = x.shape().back(), M = x.numel() / (C > 0 ? C : 1);
  if (alpha.shape() != Shape{C})
    fail("dice", "alpha must have shape [", C, "], got alpha ", alpha.describe(), " for input ", x.describe());
  if (training && M <= 1)
    fail("dice", "expected more than 1 value per channel when training, got input ", x.describe());
  if (!training && (!running_mean.defined() || !running_var.defined()))
    fail("dice", "eval mode needs running_mean and running_var [", C, "], got an undefined tensor (input ",
         x.describe(), ")");
  for (const Tensor* r : {&running_mean, &running_var})
    if (r->defined() && (r->shape() != Shape{C} || r->dtype() != x.dtype()))
      fail("dice", "running statistics must be [", C, "] ", dtype_name(x.dtype()), ", got ", r->describe(),
           " for input ", x.describe());
  Tensor xf = x.reshape({M, C});
  // batch_norm validates gamma/beta ([C], same dtype and device) with its own messages.
  Tensor p = sigmoid(batch_norm(xf, gamma, beta, running_mean, running_var, training, momentum, eps));
  Tensor y = mul(xf, add(alpha, mul(p, rsub(alpha, 1.0))));
  return y.reshape(x.shape().vec());
}

}  // namespace dien
