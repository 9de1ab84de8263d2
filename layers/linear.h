// SPDX-License-Identifier: MIT
// Linear: y = x W^T + b, with PyTorch's default initialisation (W and b uniform in
// [-1/sqrt(in), 1/sqrt(in)]).
//
//   dien::Generator gen(42);
//   dien::Linear fc(16, 4, /*bias=*/true, gen);   // weight [4, 16], bias [4]
//   dien::Tensor y = fc.forward(x);                // x [N, 16] or [B, T, 16] -> [..., 4]
#pragma once
#include <cstdint>

#include "autograd/functions.h"
#include "core/rng.h"
#include "layers/module.h"

namespace dien {

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true, Generator& gen = default_generator(),
         DType dtype = DType::F32);

  Tensor forward(const Tensor& x) const { return linear(x, weight_, bias_); }

  const Tensor& weight() const { return weight_; }  // [out, in]
  const Tensor& bias() const { return bias_; }      // [out], undefined without bias
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }

 private:
  int64_t in_, out_;
  Tensor weight_, bias_;
};

}  // namespace dien
