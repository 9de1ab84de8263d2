// SPDX-License-Identifier: MIT
// float64 gradcheck of every backward KERNEL of the kernel lab's table against central
// differences of its forward kernel, without the ops: the case's forward call becomes a node
// (record_multi) whose backward is the case's backward call, so autograd/gradcheck.h compares
// the full Jacobian of the raw kernels. (tests/gradcheck checks the ops built on them.)
#include <memory>

#include "tests/lab/lab_util.h"

using namespace dien;
using lab::Role;

namespace {

// The case's differentiable outputs, flattened and concatenated, as a function of `in` (its
// `wrt` tensors): each call copies the case's other tensors afresh, so nothing drifts.
Tensor run_kernels(const std::shared_ptr<const lab::Instance>& inst, const TensorList& in) {
  const lab::Grad& gr = *inst->grad;
  Backend& cpu = backend_for(Device::cpu());
  std::vector<Tensor> t = lab::copy_to(inst->tensors(), Device::cpu());
  for (size_t k = 0; k < gr.wrt.size(); ++k) t[gr.wrt[k]] = in[k].detach();
  const lab::Call& fwd = inst->calls[gr.forward];
  test::poison_outputs(*inst, fwd, t);
  fwd.fn(cpu, t);
  TensorList outs;
  for (int j : gr.outs) outs.push_back(t[j]);
  std::vector<Tensor> saved = t;  // what backward reads; outputs detached (no node owns its outputs)
  for (int j : gr.outs) saved[j] = t[j].detach();
  record_multi("lab kernels", outs, in, [inst, saved](const TensorList& g, const Needs&) {
    const lab::Grad& gr = *inst->grad;
    std::vector<Tensor> u = saved;
    for (size_t j = 0; j < gr.g_outs.size(); ++j) u[gr.g_outs[j]] = g[j].detach().clone();
    for (int k : gr.g_wrt)  // an accumulating backward (embedding) adds into zeros
      if (inst->args[k].role == Role::Acc) u[k] = zeros(u[k].shape(), u[k].dtype());
    for (int b : gr.backward) {
      const lab::Call& bwd = inst->calls[b];
      test::poison_outputs(*inst, bwd, u);
      bwd.fn(backend_for(Device::cpu()), u);
    }
    TensorList grads;
    for (int k : gr.g_wrt) grads.push_back(u[k]);
    return grads;
  });
  TensorList flat;
  for (const Tensor& o : outs) flat.push_back(o.reshape({-1}));
  return flat.size() == 1 ? flat[0] : concat(flat, 0);
}

}  // namespace

TEST_CASE("lab gradcheck: every backward kernel against finite differences of its forward kernel", "[lab][gradcheck]") {
  int checked = 0;
  for (const lab::OpCase& c : lab::op_cases()) {
    Generator g(11);
    auto inst = std::make_shared<const lab::Instance>(c.build(lab::Size::Small, DType::F64, g));
    if (!inst->grad) continue;
    const lab::Grad& gr = *inst->grad;
    INFO(c.name << ": " << inst->calls[gr.backward.front()].kernel << " vs " << inst->calls[gr.forward].kernel
                << " at " << inst->shape);
    TensorList leaves;
    for (int k : gr.wrt) leaves.push_back(inst->args[k].t.clone().set_requires_grad());
    GradcheckOptions opt;
    opt.tol = gr.tol;
    opt.five_point = gr.five_point;
    auto r = gradcheck([inst](const TensorList& in) { return run_kernels(inst, in); }, leaves, opt);
    INFO(r.summary());
    CHECK(r.ok);
    ++checked;
  }
  CHECK(checked >= 25);
}
