// SPDX-License-Identifier: MIT
#include "layers/activation.h"

#include <algorithm>
#include <cctype>

#include "autograd/functions.h"

namespace dien {

ActKind parse_activation(const std::string& name, const char* where) {
  std::string s = name;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "relu") return ActKind::Relu;
  if (s == "sigmoid") return ActKind::Sigmoid;
  if (s == "linear") return ActKind::Linear;
  if (s == "prelu") return ActKind::PRelu;
  if (s == "dice") return ActKind::Dice;
  fail(where, "unknown activation '", name, "' (expected relu, sigmoid, linear, prelu or dice)");
}

Activation::Activation(ActKind kind, int64_t channels, int dice_dim, DType dtype)
    : kind_(kind), channels_(channels), dice_dim_(dice_dim) {
  if (channels <= 0) fail("Activation", "channels must be positive, got ", channels);
  if (dice_dim != 2 && dice_dim != 3) fail("Activation", "dice_dim must be 2 or 3, got ", dice_dim);
  if (kind == ActKind::PRelu) weight_ = register_parameter("weight", full({1}, 0.25, dtype));
  if (kind == ActKind::Dice) {
    alpha_ = register_parameter("alpha", dien::zeros(dice_dim == 2 ? Shape{channels} : Shape{channels, 1}, dtype));
    bn_ = register_module("bn", std::make_shared<BatchNorm1d>(channels, 1e-8, 0.1, dtype));
  }
}

Tensor Activation::forward(const Tensor& x, bool training) const {
  switch (kind_) {
    case ActKind::Relu: return relu(x);
    case ActKind::Sigmoid: return sigmoid(x);
    case ActKind::Linear: return x;
    case ActKind::PRelu: return prelu(x, weight_);
    case ActKind::Dice: {
      if (x.ndim() != dice_dim_)
        fail("Dice", "built for ", dice_dim_, "-D input (dice_dim), got x ", x.describe());
      Tensor rm = bn_->running_mean(), rv = bn_->running_var();
      Tensor a = dice_dim_ == 2 ? alpha_ : reshape(alpha_, {channels_});
      return dice(x, a, bn_->weight(), bn_->bias(), rm, rv, training, bn_->momentum(), bn_->eps());
    }
  }
  fail("Activation", "unreachable");
}

}  // namespace dien
