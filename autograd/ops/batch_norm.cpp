// SPDX-License-Identifier: MIT
// Differentiable batch normalisation over x [N, C]: one node whose backward is the
// hand-written kernel (kernels/cpu/batch_norm.cpp). Running statistics are updated in place in
// training mode (PyTorch formulas) and are never part of the graph.
// Derivation: docs/derivations/nn_ops.md#batch-norm-x-n-c-per-channel-c.
#include "autograd/functions.h"
#include "kernels/dispatch.h"

namespace dien {

namespace {

// Checks an optional per-channel tensor (gamma, beta, running stats): undefined or [C] like x.
void check_channel_param(const Tensor& t, const Tensor& x, const char* what) {
  if (!t.defined()) return;
  const int64_t C = x.shape()[1];
  if (t.shape() != Shape{C})
    fail("batch_norm", what, " must have shape [", C, "] for input ", x.describe(), ", got ", t.describe());
  check_same_dtype("batch_norm", x, t);
  check_same_device("batch_norm", x, t);
}

}  // namespace

// xhat = (x - mean) invstd, y = gamma xhat + beta. gbeta = sum_n gy, ggamma = sum_n gy xhat.
// Eval (mean, invstd constants): gx = gamma invstd gy. Training, with mean and invstd
// functions of the column: gx = gamma invstd (gy - mean_n(gy) - xhat mean_n(gy xhat)).
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                  Tensor& running_var, bool training, double momentum, double eps) {
  check_defined("batch_norm", x, "input");
  check_floating("batch_norm", x);
  if (x.ndim() != 2) fail("batch_norm", "input must be [N, C], got ", x.describe());
  check_channel_param(gamma, x, "gamma");
  check_channel_param(beta, x, "beta");
  check_channel_param(running_mean, x, "running_mean");
  check_channel_param(running_var, x, "running_var");
  if (running_mean.defined() != running_var.defined())
    fail("batch_norm", "running_mean and running_var must both be given or both be undefined (input ",
         x.describe(), ")");
  if (!training && !running_mean.defined())
    fail("batch_norm", "eval mode needs running_mean and running_var [", x.shape()[1],
         "], got undefined tensors (input ", x.describe(), ")");
  if (training && x.shape()[0] <= 1)
    fail("batch_norm", "expected more than 1 value per channel when training, got input ", x.describe());
  if (!(eps > 0.0)) fail("batch_norm", "eps must be positive, got ", eps);

  const int64_t C = x.shape()[1];
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor save_mean = Tensor::empty({C}, x.dtype(), x.device());
  Tensor save_invstd = Tensor::empty({C}, x.dtype(), x.device());
  backend_for(x).batch_norm_forward(x, gamma.defined() ? &gamma : nullptr, beta.defined() ? &beta : nullptr,
                                    running_mean.defined() ? &running_mean : nullptr,
                                    running_var.defined() ? &running_var : nullptr, training, momentum, eps, y,
                                    save_mean, save_invstd);
  Tensor xs = x.detach(), gs = gamma.defined() ? gamma.detach() : Tensor();
  return record("batch_norm", y, {x, gamma, beta},
                [xs, gs, save_mean, save_invstd, training](const TensorList& g, const Needs& n) {
                  auto grad_like = [](bool need, const Tensor& t) {
                    return need ? Tensor::empty(t.shape(), t.dtype(), t.device()) : Tensor();
                  };
                  Tensor gx = grad_like(n[0], xs), ggamma = grad_like(n[1], save_mean),
                         gbeta = grad_like(n[2], save_mean);
                  backend_for(g[0]).batch_norm_backward(xs, gs.defined() ? &gs : nullptr, save_mean, save_invstd,
                                                        g[0], training, n[0] ? &gx : nullptr,
                                                        n[1] ? &ggamma : nullptr, n[2] ? &gbeta : nullptr);
                  return TensorList{gx, ggamma, gbeta};
                });
}

}  // namespace dien
