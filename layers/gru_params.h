// SPDX-License-Identifier: MIT
// GruParams: the four tensors of one recurrent layer in PyTorch's r|z|n layout:
// weight_ih [3H, D], weight_hh [3H, H], bias_ih [3H], bias_hh [3H], registered as
// "weight_ih<suffix>" ... : suffix "_l0" gives torch.nn.GRU's names, "" DeepCTR-Torch's
// AGRUCell/AUGRUCell names. Both biases are separate, initialised tensors (DeepCTR-Torch's cells
// register bias_hh under the name bias_ih by mistake; see docs/model.md).
#pragma once
#include <cstdint>
#include <string>

#include "autograd/functions.h"
#include "layers/init.h"
#include "layers/module.h"

namespace dien {

class GruParams : public Module {
 public:
  // cell_bias: initialise the biases as DeepCTR-Torch's attention cells do (zeros) under the
  // deepctr scheme; nn.GRU's default otherwise.
  GruParams(int64_t input_size, int64_t hidden_size, const std::string& suffix, bool cell_bias,
            init::Initializer& init);
  // rnn_scan (fused) or rnn_scan_unfused over x [B, T, D] with lengths [B]; att [B, T] for the
  // attention cells (undefined for Gru). h0 = zeros.
  RnnOutput scan(RnnCell cell, const Tensor& x, const Tensor& lengths, const Tensor& att, GateLayout layout,
                 bool fused) const;
  int64_t hidden_size() const { return hidden_; }
  int64_t input_size() const { return input_; }
  const Tensor& weight_ih() const { return w_ih_; }
  const Tensor& weight_hh() const { return w_hh_; }
  const Tensor& bias_ih() const { return b_ih_; }
  const Tensor& bias_hh() const { return b_hh_; }

 private:
  int64_t input_, hidden_;
  Tensor w_ih_, w_hh_, b_ih_, b_hh_;
};

}  // namespace dien
