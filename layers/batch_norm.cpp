// SPDX-License-Identifier: MIT
#include "layers/batch_norm.h"

namespace dien {

BatchNorm1d::BatchNorm1d(int64_t channels, double eps, double momentum, DType dtype)
    : channels_(channels), eps_(eps), momentum_(momentum) {
  if (channels <= 0) fail("BatchNorm1d", "channels must be positive, got ", channels);
  weight_ = register_parameter("weight", ones({channels}, dtype));
  bias_ = register_parameter("bias", dien::zeros({channels}, dtype));
  running_mean_ = register_buffer("running_mean", dien::zeros({channels}, dtype));
  running_var_ = register_buffer("running_var", ones({channels}, dtype));
}

Tensor BatchNorm1d::forward(const Tensor& x, bool training) const {
  if (!x.defined() || (x.ndim() != 2 && x.ndim() != 3) || x.size(-1) != channels_)
    fail("BatchNorm1d", "expected x [N, ", channels_, "] or [B, T, ", channels_, "], got ",
         x.defined() ? x.describe() : std::string("undefined"));
  Tensor rm = running_mean_, rv = running_var_;  // handles: the op updates them only in training
  if (x.ndim() == 2) return batch_norm(x, weight_, bias_, rm, rv, training, momentum_, eps_);
  Tensor y = batch_norm(reshape(x, {-1, channels_}), weight_, bias_, rm, rv, training, momentum_, eps_);
  return reshape(y, {x.size(0), x.size(1), channels_});
}

}  // namespace dien
