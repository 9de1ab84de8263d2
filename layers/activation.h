// SPDX-License-Identifier: MIT
// Activation layers of DeepCTR-Torch's activation_layer(): relu, sigmoid, linear (identity),
// prelu (torch nn.PReLU(): ONE shared weight "weight" [1] = 0.25) and Dice ("alpha" zeros, and a
// BatchNorm1d "bn" with eps 1e-8 whose affine weight/bias DeepCTR keeps). Dice over [N, C]
// (dice_dim 2: alpha [C]) or [B, T, C] (dice_dim 3: statistics over B and T; alpha [C, 1] as
// DeepCTR-Torch stores it, so its state dicts load unchanged).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "layers/batch_norm.h"
#include "layers/module.h"

namespace dien {

enum class ActKind : uint8_t { Relu, Sigmoid, Linear, PRelu, Dice };
// Case-insensitive "relu" | "sigmoid" | "linear" | "prelu" | "dice"; else dien::Error naming `where`.
ActKind parse_activation(const std::string& name, const char* where);

class Activation : public Module {
 public:
  Activation(ActKind kind, int64_t channels, int dice_dim = 2, DType dtype = DType::F32);
  Tensor forward(const Tensor& x, bool training) const;
  ActKind kind() const { return kind_; }

 private:
  ActKind kind_;
  int64_t channels_;
  int dice_dim_;
  Tensor weight_;  // prelu
  Tensor alpha_;   // dice
  std::shared_ptr<BatchNorm1d> bn_;  // dice
};

}  // namespace dien
