// SPDX-License-Identifier: MIT
// Adam with bias correction and L2 weight decay (torch.optim.Adam, amsgrad off).
#include "optim/optimizer.h"
#include "kernels/dispatch.h"

namespace dien {

namespace {
void validate(const AdamOptions& o) {
  if (!(o.lr >= 0)) fail("adam", "invalid lr ", o.lr);
  if (!(o.eps >= 0)) fail("adam", "invalid eps ", o.eps);
  if (!(o.beta1 >= 0 && o.beta1 < 1)) fail("adam", "invalid beta1 ", o.beta1, " (want [0, 1))");
  if (!(o.beta2 >= 0 && o.beta2 < 1)) fail("adam", "invalid beta2 ", o.beta2, " (want [0, 1))");
  if (!(o.weight_decay >= 0)) fail("adam", "invalid weight_decay ", o.weight_decay);
}
}  // namespace

Adam::Adam(NamedParameters params, const AdamOptions& options) : Optimizer(std::move(params)), opt_(options) {
  validate(opt_);
}

void Adam::set_lr(double lr) {
  AdamOptions o = opt_;
  o.lr = lr;
  validate(o);
  opt_ = o;
}

void Adam::update(Tensor& param, const Tensor& grad, ParamState& st) {
  backend_for(param).adam_step(param, grad, st.bufs[0], st.bufs[1], st.step, opt_.lr, opt_.beta1, opt_.beta2,
                               opt_.eps, opt_.weight_decay);
}

bool Adam::update_rows_in_place(Tensor& param, const RowSparseGrad& grad, ParamState& st) {
  backend_for(param).adam_step_rows(param, grad.index, grad.values, st.bufs[0], st.bufs[1], st.step, opt_.lr,
                                    opt_.beta1, opt_.beta2, opt_.eps, opt_.weight_decay);
  return true;
}

std::map<std::string, std::string> Adam::hyper_parameters() const {
  return {{"lr", format_double(opt_.lr)},
          {"beta1", format_double(opt_.beta1)},
          {"beta2", format_double(opt_.beta2)},
          {"eps", format_double(opt_.eps)},
          {"weight_decay", format_double(opt_.weight_decay)}};
}

void Adam::set_hyper_parameters(const std::map<std::string, std::string>& h) {
  AdamOptions o;
  o.lr = read_double(h, "lr");
  o.beta1 = read_double(h, "beta1");
  o.beta2 = read_double(h, "beta2");
  o.eps = read_double(h, "eps");
  o.weight_decay = read_double(h, "weight_decay");
  validate(o);
  opt_ = o;
}

}  // namespace dien
