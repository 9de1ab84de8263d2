// SPDX-License-Identifier: MIT
// Differentiable dropout. The mask comes from the generator's Philox stream (one word per
// element, kernels/cpu/dropout.cpp), so the same (seed, offset) gives the same mask on every
// backend. p follows PyTorch: p in [0, 1]; p == 1 zeroes everything (gradient 0 as well).
// Derivation: docs/derivations/nn_ops.md#dropout.
#include <cmath>

#include "autograd/functions.h"
#include "kernels/dispatch.h"

namespace dien {

// y = x * mask, mask[i] in {0, 1/(1-p)} a constant  ->  gx = gy * mask (the same mask).
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  check_defined("dropout", x, "input");
  check_floating("dropout", x);
  if (!(p >= 0.0 && p <= 1.0))
    fail("dropout", "probability p must be in [0, 1], got p = ", p, " for input ", x.describe());
  if (!training || p == 0.0) return x;
  Tensor mask = Tensor::empty(x.shape(), x.dtype(), x.device());
  const uint64_t offset = gen.reserve(static_cast<uint64_t>(x.numel()));
  Backend& be = backend_for(x);
  be.dropout_mask(mask, p, gen.seed(), offset);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  be.binary_forward(BinaryOp::Mul, x, mask, y);
  return record("dropout", y, {x}, [mask](const TensorList& g, const Needs&) {
    Tensor gx = Tensor::empty(g[0].shape(), g[0].dtype(), g[0].device());
    backend_for(g[0]).binary_forward(BinaryOp::Mul, g[0], mask, gx);
    return TensorList{gx};
  });
}

}  // namespace dien
