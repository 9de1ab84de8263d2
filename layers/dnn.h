// SPDX-License-Identifier: MIT
// DNN: DeepCTR-Torch's multi-layer perceptron. For each hidden layer i:
//   Linear "linears.<i>" -> [BatchNorm1d "bn.<i>" if use_bn] -> activation "activation_layers.<i>"
//   -> dropout(dropout_rate)
// x [N, D] or [B, T, D] -> [..., hidden_units.back()]. Dice layers are built for dice_dim-D input
// (2: [N, C]; 3: [B, T, C], the attention net's). Parameter names equal DeepCTR-Torch's state
// dict names (without torch's bn num_batches_tracked buffers).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "layers/activation.h"
#include "layers/batch_norm.h"
#include "layers/init.h"
#include "layers/linear.h"
#include "layers/module_list.h"

namespace dien {

class DNN : public Module {
 public:
  DNN(int64_t inputs_dim, const std::vector<int64_t>& hidden_units, const std::string& activation, double l2_reg,
      double dropout_rate, bool use_bn, init::Initializer& init, int dice_dim = 2);
  // training: batch-norm batch statistics (running buffers updated), Dice likewise, dropout
  // masks drawn from this DNN's own generator (seeded at construction from `init`'s). Eval
  // (training=false) mutates nothing and may run on several threads at once.
  Tensor forward(const Tensor& x, bool training) const;

  // sum of w^2 over the Linear weights (not biases, not batch norm), times l2_reg: DeepCTR's
  // l2_reg_dnn term. An f32/f64 scalar [] on the weights' device.
  Tensor l2_loss() const;
  int64_t out_dim() const { return hidden_.back(); }
  int64_t in_dim() const { return in_; }
  // The same, from z = the first layer's product x W_0ᵀ + b_0 computed by the caller (e.g. without
  // materialising x: layers/attention.cpp).
  Tensor forward_after_first_product(const Tensor& z, bool training) const;
  // The whole stack from layer 0's parts: y_0 = act_0(init + x w0ᵀ) (w0 [H_0, x.size(-1)] stands
  // for the caller's share of layer 0's weight; init [Ri, H_0] as in linear_add, or undefined:
  // layer 0's bias), the other layers, then `tail` (a Linear without activation, e.g. the
  // attention net's dense layer) when given. One mlp node (autograd/ops/mlp.cpp) where every
  // activation is relu, sigmoid or linear, without batch norm, and without dropout in training;
  // else linear_add + forward_after_first_product (+ tail). The same values either way.
  Tensor forward_from_parts(const Tensor& x, const Tensor& w0, const Tensor& init, bool training,
                            const Linear* tail = nullptr) const;
  const ModuleList<Linear>& linears() const { return *linears_; }
  // Whether a training forward takes statistics over the rows of its batch (batch norm, Dice):
  // then which rows it sees changes every row's output.
  bool batch_statistics() const;
  // Dropout masks from `gen` (owned by the caller, e.g. the model, whose trainer saves it in
  // checkpoints) instead of this layer's own generator.
  void set_dropout_generator(Generator* gen) { external_gen_ = gen; }

 private:
  int64_t in_;
  std::vector<int64_t> hidden_;
  Tensor run(Tensor h, bool first_is_product, bool training) const;
  double l2_, dropout_;
  bool use_bn_;
  std::shared_ptr<ModuleList<Linear>> linears_;
  std::shared_ptr<ModuleList<BatchNorm1d>> bn_;
  std::shared_ptr<ModuleList<Activation>> acts_;
  mutable Generator dropout_gen_;  // touched only by training-mode forwards with dropout > 0
  Generator* external_gen_ = nullptr;
};

}  // namespace dien
