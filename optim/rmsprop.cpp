// SPDX-License-Identifier: MIT
// RMSprop, non-centered, with optional momentum and L2 weight decay (torch.optim.RMSprop).
#include "optim/optimizer.h"
#include "kernels/dispatch.h"

namespace dien {

namespace {
void validate(const RMSpropOptions& o) {
  if (!(o.lr >= 0)) fail("rmsprop", "invalid lr ", o.lr);
  if (!(o.alpha >= 0)) fail("rmsprop", "invalid alpha ", o.alpha);
  if (!(o.eps >= 0)) fail("rmsprop", "invalid eps ", o.eps);
  if (!(o.momentum >= 0)) fail("rmsprop", "invalid momentum ", o.momentum);
  if (!(o.weight_decay >= 0)) fail("rmsprop", "invalid weight_decay ", o.weight_decay);
}
}  // namespace

RMSprop::RMSprop(NamedParameters params, const RMSpropOptions& options)
    : Optimizer(std::move(params)), opt_(options) {
  validate(opt_);
}

void RMSprop::set_lr(double lr) {
  RMSpropOptions o = opt_;
  o.lr = lr;
  validate(o);
  opt_ = o;
}

std::vector<std::string> RMSprop::buffer_names() const {
  if (opt_.momentum > 0) return {"square_avg", "momentum_buffer"};
  return {"square_avg"};
}

void RMSprop::update(Tensor& param, const Tensor& grad, ParamState& st) {
  Tensor* buf = opt_.momentum > 0 ? &st.bufs[1] : nullptr;  // starts at zero, as in PyTorch
  backend_for(param).rmsprop_step(param, grad, st.bufs[0], buf, opt_.lr, opt_.alpha, opt_.eps, opt_.momentum,
                                  opt_.weight_decay);
}

std::map<std::string, std::string> RMSprop::hyper_parameters() const {
  return {{"lr", format_double(opt_.lr)},
          {"alpha", format_double(opt_.alpha)},
          {"eps", format_double(opt_.eps)},
          {"weight_decay", format_double(opt_.weight_decay)},
          {"momentum", format_double(opt_.momentum)}};
}

void RMSprop::set_hyper_parameters(const std::map<std::string, std::string>& h) {
  RMSpropOptions o;
  o.lr = read_double(h, "lr");
  o.alpha = read_double(h, "alpha");
  o.eps = read_double(h, "eps");
  o.weight_decay = read_double(h, "weight_decay");
  o.momentum = read_double(h, "momentum");
  validate(o);
  opt_ = o;
}

}  // namespace dien
