// SPDX-License-Identifier: MIT
// Adagrad with learning-rate decay and L2 weight decay (torch.optim.Adagrad; the
// accumulator starts at 0).
#include "optim/optimizer.h"
#include "kernels/dispatch.h"

namespace dien {

namespace {
void validate(const AdagradOptions& o) {
  if (!(o.lr >= 0)) fail("adagrad", "invalid lr ", o.lr);
  if (!(o.lr_decay >= 0)) fail("adagrad", "invalid lr_decay ", o.lr_decay);
  if (!(o.weight_decay >= 0)) fail("adagrad", "invalid weight_decay ", o.weight_decay);
  if (!(o.eps >= 0)) fail("adagrad", "invalid eps ", o.eps);
}
}  // namespace

Adagrad::Adagrad(NamedParameters params, const AdagradOptions& options)
    : Optimizer(std::move(params)), opt_(options) {
  validate(opt_);
}

void Adagrad::set_lr(double lr) {
  AdagradOptions o = opt_;
  o.lr = lr;
  validate(o);
  opt_ = o;
}

void Adagrad::update(Tensor& param, const Tensor& grad, ParamState& st) {
  backend_for(param).adagrad_step(param, grad, st.bufs[0], st.step, opt_.lr, opt_.lr_decay, opt_.eps,
                                  opt_.weight_decay);
}

std::map<std::string, std::string> Adagrad::hyper_parameters() const {
  return {{"lr", format_double(opt_.lr)},
          {"lr_decay", format_double(opt_.lr_decay)},
          {"weight_decay", format_double(opt_.weight_decay)},
          {"eps", format_double(opt_.eps)}};
}

void Adagrad::set_hyper_parameters(const std::map<std::string, std::string>& h) {
  AdagradOptions o;
  o.lr = read_double(h, "lr");
  o.lr_decay = read_double(h, "lr_decay");
  o.weight_decay = read_double(h, "weight_decay");
  o.eps = read_double(h, "eps");
  validate(o);
  opt_ = o;
}

}  // namespace dien
