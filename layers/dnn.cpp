// SPDX-License-Identifier: MIT
#include "layers/dnn.h"

#include "autograd/functions.h"

namespace dien {

DNN::DNN(int64_t inputs_dim, const std::vector<int64_t>& hidden_units, const std::string& activation, double l2_reg,
         double dropout_rate, bool use_bn, init::Initializer& init, int dice_dim)
    : in_(inputs_dim), hidden_(hidden_units), l2_(l2_reg), dropout_(dropout_rate), use_bn_(use_bn) {
  if (inputs_dim <= 0) fail("DNN", "inputs_dim must be positive, got ", inputs_dim);
  if (hidden_units.empty()) fail("DNN", "hidden_units is empty");
  for (size_t i = 0; i < hidden_units.size(); ++i)
    if (hidden_units[i] <= 0) fail("DNN", "hidden_units[", i, "] must be positive, got ", hidden_units[i]);
  if (!(dropout_rate >= 0 && dropout_rate < 1)) fail("DNN", "dropout_rate must lie in [0, 1), got ", dropout_rate);
  if (!(l2_reg >= 0)) fail("DNN", "l2_reg must be >= 0, got ", l2_reg);
  const ActKind act = parse_activation(activation, "DNN");
  dropout_gen_.manual_seed(init.gen().next_u64());

  linears_ = register_module("linears", std::make_shared<ModuleList<Linear>>());
  if (use_bn) bn_ = register_module("bn", std::make_shared<ModuleList<BatchNorm1d>>());
  acts_ = register_module("activation_layers", std::make_shared<ModuleList<Activation>>());
  int64_t prev = inputs_dim;
  for (int64_t h : hidden_units) {
    auto lin = linears_->push_back(std::make_shared<Linear>(prev, h, true, init.gen(), init.dtype()));
    init::assign(lin->weight(), init.dense_weight(h, prev));
    init::assign(lin->bias(), init.dense_bias(h, prev));
    if (use_bn) bn_->push_back(std::make_shared<BatchNorm1d>(h, 1e-5, 0.1, init.dtype()));
    acts_->push_back(std::make_shared<Activation>(act, h, dice_dim, init.dtype()));
    prev = h;
  }
}

Tensor DNN::forward(const Tensor& x, bool training) const {
  if (!x.defined() || (x.ndim() != 2 && x.ndim() != 3) || x.size(-1) != in_)
    fail("DNN", "expected x [N, ", in_, "] or [B, T, ", in_, "], got ",
         x.defined() ? x.describe() : std::string("undefined"));
  return run(x, false, training);
}

bool DNN::batch_statistics() const {
  if (use_bn_) return true;
  for (size_t i = 0; i < acts_->size(); ++i)
    if ((*acts_)[i]->kind() == ActKind::Dice) return true;
  return false;
}

Tensor DNN::forward_after_first_product(const Tensor& z, bool training) const {
  if (linears_->size() == 0) fail("DNN", "forward_after_first_product needs a layer");
  const int64_t h1 = (*linears_)[0]->weight().size(0);
  if (!z.defined() || (z.ndim() != 2 && z.ndim() != 3) || z.size(-1) != h1)
    fail("DNN", "expected the first layer's output [N, ", h1, "] or [B, T, ", h1, "], got ",
         z.defined() ? z.describe() : std::string("undefined"));
  return run(z, true, training);
}

Tensor DNN::forward_from_parts(const Tensor& x, const Tensor& w0, const Tensor& init, bool training,
                               const Linear* tail) const {
  if (linears_->size() == 0) fail("DNN", "forward_from_parts needs a layer");
  const Linear& first = *(*linears_)[0];
  bool one_node = !use_bn_ && !(training && dropout_ > 0);
  for (const auto& a : *acts_) {
    const ActKind k = a->kind();
    one_node = one_node && (k == ActKind::Relu || k == ActKind::Sigmoid || k == ActKind::Linear);
  }
  if (!one_node) {
    Tensor z = init.defined() ? linear_add(x, w0, init) : linear(x, w0, first.bias());
    Tensor h = run(z, true, training);
    return tail ? tail->forward(h) : h;
  }
  std::vector<MlpLayer> layers;
  for (size_t i = 0; i < linears_->size(); ++i) {
    const Linear& lin = *(*linears_)[i];
    const ActKind k = (*acts_)[i]->kind();
    MlpLayer l{i == 0 ? w0 : lin.weight(), i == 0 && init.defined() ? Tensor() : lin.bias(), std::nullopt};
    if (k != ActKind::Linear) l.act = k == ActKind::Relu ? UnaryOp::Relu : UnaryOp::Sigmoid;
    layers.push_back(l);
  }
  if (tail) layers.push_back(MlpLayer{tail->weight(), tail->bias(), std::nullopt});
  return mlp(x, init, layers);
}

// Layer i: linear, batch norm (use_bn), activation, dropout (training). Without batch norm a relu
// or sigmoid layer is one linear_act node (bias and activation in place on the product: one
// tensor, no second pass); `first_is_product`: layer 0's product is h already.
Tensor DNN::run(Tensor h, bool first_is_product, bool training) const {
  for (size_t i = 0; i < linears_->size(); ++i) {
    const Linear& lin = *(*linears_)[i];
    const ActKind kind = (*acts_)[i]->kind();
    const bool product_given = i == 0 && first_is_product;
    if (!product_given && !use_bn_ && (kind == ActKind::Relu || kind == ActKind::Sigmoid)) {
      h = linear_act(h, lin.weight(), lin.bias(), kind == ActKind::Relu ? UnaryOp::Relu : UnaryOp::Sigmoid);
    } else {
      if (!product_given) h = lin.forward(h);
      if (use_bn_) h = (*bn_)[i]->forward(h, training);
      h = (*acts_)[i]->forward(h, training);
    }
    if (training && dropout_ > 0) h = dropout(h, dropout_, true, external_gen_ ? *external_gen_ : dropout_gen_);
  }
  return h;
}

Tensor DNN::l2_loss() const {
  if (l2_ == 0.0 || linears_->size() == 0) {  // a zero weight computes and back-propagates nothing
    const Tensor& w = linears_->size() ? (*linears_)[0]->weight() : Tensor();
    return w.defined() ? dien::zeros({}, w.dtype(), w.device()) : dien::zeros(Shape{});
  }
  Tensor total;
  for (const auto& lin : *linears_) {
    Tensor s = sum(lin->weight() * lin->weight());
    total = total.defined() ? total + s : s;
  }
  return total * l2_;
}

}  // namespace dien
