// SPDX-License-Identifier: MIT
// BatchNorm1d with torch.nn.BatchNorm1d's names: "weight" (1), "bias" (0), buffers
// "running_mean" (0), "running_var" (1). torch's "num_batches_tracked" buffer is not kept (it only
// matters for momentum=None). x [N, C] or [B, T, C] (statistics over every dim but the last).
#pragma once
#include <cstdint>

#include "autograd/functions.h"
#include "layers/module.h"

namespace dien {

class BatchNorm1d : public Module {
 public:
  explicit BatchNorm1d(int64_t channels, double eps = 1e-5, double momentum = 0.1, DType dtype = DType::F32);
  // training: batch statistics, updates the running buffers; eval: running statistics, mutates
  // nothing (safe from several threads).
  Tensor forward(const Tensor& x, bool training) const;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }
  const Tensor& running_mean() const { return running_mean_; }
  const Tensor& running_var() const { return running_var_; }
  double eps() const { return eps_; }
  double momentum() const { return momentum_; }

 private:
  int64_t channels_;
  double eps_, momentum_;
  Tensor weight_, bias_, running_mean_, running_var_;
};

}  // namespace dien
