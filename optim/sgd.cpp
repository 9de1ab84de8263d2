// SPDX-License-Identifier: MIT
// SGD with momentum, dampening, Nesterov and L2 weight decay (torch.optim.SGD).
#include <cmath>

#include "optim/optimizer.h"
#include "kernels/dispatch.h"

namespace dien {

namespace {
void validate(const SGDOptions& o) {
  if (std::isnan(o.lr)) fail("sgd", "lr is required (SGDOptions{.lr = ...})");
  if (!(o.lr >= 0)) fail("sgd", "invalid lr ", o.lr);
  if (!(o.momentum >= 0)) fail("sgd", "invalid momentum ", o.momentum);
  if (!(o.weight_decay >= 0)) fail("sgd", "invalid weight_decay ", o.weight_decay);
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
    fail("sgd", "nesterov needs momentum > 0 and dampening 0, got momentum ", o.momentum, ", dampening ",
         o.dampening);
}
}  // namespace

SGD::SGD(NamedParameters params, const SGDOptions& options) : Optimizer(std::move(params)), opt_(options) {
  validate(opt_);
}

void SGD::set_lr(double lr) {
  SGDOptions o = opt_;
  o.lr = lr;
  validate(o);
  opt_ = o;
}

std::vector<std::string> SGD::buffer_names() const {
  if (opt_.momentum != 0) return {"momentum_buffer"};
  return {};
}

void SGD::update(Tensor& param, const Tensor& grad, ParamState& st) {
  Tensor* buf = opt_.momentum != 0 ? &st.bufs[0] : nullptr;
  // The buffer starts as the first (decayed) gradient, as PyTorch's "buf is None" branch.
  backend_for(param).sgd_step(param, grad, buf, opt_.lr, opt_.momentum, opt_.dampening, opt_.nesterov,
                              opt_.weight_decay, st.step == 1);
}

std::map<std::string, std::string> SGD::hyper_parameters() const {
  return {{"lr", format_double(opt_.lr)},
          {"momentum", format_double(opt_.momentum)},
          {"dampening", format_double(opt_.dampening)},
          {"weight_decay", format_double(opt_.weight_decay)},
          {"nesterov", opt_.nesterov ? "true" : "false"}};
}

void SGD::set_hyper_parameters(const std::map<std::string, std::string>& h) {
  SGDOptions o;
  o.lr = read_double(h, "lr");
  o.momentum = read_double(h, "momentum");
  o.dampening = read_double(h, "dampening");
  o.weight_decay = read_double(h, "weight_decay");
  o.nesterov = read_bool(h, "nesterov");
  validate(o);
  opt_ = o;
}

}  // namespace dien
