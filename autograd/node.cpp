// SPDX-License-Identifier: MIT
#include "autograd/node.h"

#include <cstring>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "kernels/dispatch.h"

namespace dien {

AccumulateGrad::AccumulateGrad(const std::shared_ptr<TensorImpl>& leaf)
    : Node("accumulate_grad"), leaf_(leaf) {
  outputs.push_back({leaf->shape, leaf->dtype, leaf->storage->device()});
}

TensorList AccumulateGrad::apply(const TensorList& g) {
  auto leaf = leaf_.lock();
  if (!leaf) return {};
  if (!leaf->grad) {
    // The leaf must own its gradient: the incoming tensor is taken as it is when nothing else
    // holds it or its storage (the engine's list is its only owner and drops it after this
    // call: no copy); else, as it may be shared with other gradients, a fresh copy.
    const std::shared_ptr<TensorImpl>& in = g[0].impl_ptr();
    if (in.use_count() == 1 && in->storage.use_count() == 1 && !in->grad_fn && !in->requires_grad &&
        in->offset_bytes == 0)
      leaf->grad = in;
    else
      leaf->grad = g[0].detach().clone().impl_ptr();
  } else {
    Tensor acc(leaf->grad);
    backend_for(acc).axpy(1.0, g[0], acc);
  }
  return {};
}

TensorList FunctionNode::apply(const TensorList& g) {
  if (!fn_)
    fail(name().c_str(), "backward through the graph a second time, after its saved tensors were freed "
         "(pass retain_graph=true to the first backward)");
  return fn_(g, needs_);
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return {};
  TensorImpl* impl = t.impl();
  if (impl->grad_fn) return {impl->grad_fn, impl->output_nr};
  std::shared_ptr<Node> acc = impl->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t.impl_ptr());
    impl->grad_accumulator = acc;
  }
  return {acc, 0};
}

bool should_record(const TensorList& inputs) {
  if (!grad_enabled()) return false;
  for (const auto& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

namespace {
std::shared_ptr<Node> make_node(const char* name, const TensorList& inputs, BackwardFn fn) {
  Needs needs(inputs.size());
  std::vector<Edge> edges(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    edges[i] = gradient_edge(inputs[i]);
    needs[i] = edges[i].node != nullptr;
  }
  auto node = std::make_shared<FunctionNode>(name, std::move(fn), std::move(needs));
  node->next_edges = std::move(edges);
  return node;
}

void attach(Tensor& out, const std::shared_ptr<Node>& node, int nr) {
  TensorImpl* impl = out.impl();
  impl->grad_fn = node;
  impl->output_nr = nr;
  impl->requires_grad = true;
  node->outputs.push_back({out.shape(), out.dtype(), out.device()});
}
}  // namespace

Tensor record(const char* name, Tensor out, const TensorList& inputs, BackwardFn fn) {
  if (!should_record(inputs)) return out;
  auto node = make_node(name, inputs, std::move(fn));
  attach(out, node, 0);
  return out;
}

void record_multi(const char* name, TensorList& outs, const TensorList& inputs, BackwardFn fn) {
  if (!should_record(inputs)) return;
  auto node = make_node(name, inputs, std::move(fn));
  for (size_t i = 0; i < outs.size(); ++i) attach(outs[i], node, static_cast<int>(i));
}

Tensor record_node(Tensor out, const std::shared_ptr<Node>& node) {
  attach(out, node, 0);
  return out;
}

Tensor autograd_to_device(const Tensor& src, Tensor out) {
  Device from = src.device();
  return record("to_device", out, {src}, [from](const TensorList& g, const Needs&) {
    return TensorList{g[0].to(from)};
  });
}

// ---- differentiable Tensor methods -----------------------------------------------

Tensor& Tensor::set_requires_grad(bool on) {
  if (!impl_) fail("set_requires_grad", "use of an undefined tensor");
  if (impl_->grad_fn)
    fail("set_requires_grad", "only leaf tensors can change requires_grad; this one was made by ",
         impl_->grad_fn->name(), " (use detach())");
  if (on && !is_floating(dtype()))
    fail("set_requires_grad", "only floating tensors can require gradients, got ", describe());
  impl_->requires_grad = on;
  return *this;
}

Tensor Tensor::to(Device device) const {
  if (device == this->device()) return *this;
  Tensor out = Tensor::empty(shape(), dtype(), device);
  const auto& mirror = impl_->storage->host_mirror();
  if (device.is_cpu() && mirror) {  // the host copy the tensor's maker kept (set_host_mirror)
    if (nbytes()) std::memcpy(out.raw_data(), static_cast<const char*>(mirror->data()) + impl_->offset_bytes, nbytes());
    return out;  // integers: nothing to differentiate
  }
  Backend& be = this->device().is_cpu() ? backend_for(device) : backend_for(this->device());
  be.copy_bytes(out.raw_data(), device, raw_data(), this->device(), nbytes());
  // Differentiable transfer: the gradient goes back to the source device.
  return autograd_to_device(*this, out);
}

void Tensor::backward(const Tensor& grad_output, bool retain_graph) const {
  if (!requires_grad())
    fail("backward", "tensor ", describe(), " does not require grad and has no grad_fn");
  Tensor g = grad_output;
  if (!g.defined()) {
    if (numel() != 1)
      fail("backward", "grad_output can be omitted only for a tensor with one element, got ", describe());
    g = ones(shape(), dtype(), device());
  } else if (g.shape() != shape() || g.dtype() != dtype() || g.device() != device()) {
    fail("backward", "grad_output ", g.describe(), " does not match tensor ", describe());
  }
  run_backward({*this}, {g}, retain_graph);
}

Tensor Tensor::clone() const {
  Tensor out = Tensor::empty(shape(), dtype(), device());
  backend_for(device()).copy_bytes(out.raw_data(), device(), raw_data(), device(), nbytes());
  return record("clone", out, {*this}, [](const TensorList& g, const Needs&) { return TensorList{g[0]}; });
}

Tensor Tensor::to(DType dt) const {
  if (dt == dtype()) return *this;
  Tensor out = Tensor::empty(shape(), dt, device());
  backend_for(device()).cast(*this, out);
  if (!is_floating(dt)) return out;
  DType from = dtype();
  return record("cast", out, {*this}, [from](const TensorList& g, const Needs&) {
    return TensorList{g[0].to(from)};
  });
}

Tensor Tensor::reshape(const std::vector<int64_t>& dims) const {
  std::vector<int64_t> d = dims;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < d.size(); ++i) {
    if (d[i] == -1) {
      if (infer >= 0) fail("reshape", "only one dimension can be -1 when reshaping ", describe());
      infer = static_cast<int>(i);
    } else {
      if (d[i] < 0) fail("reshape", "invalid dimension ", d[i], " for ", describe());
      known *= d[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || numel() % known != 0)
      fail("reshape", "cannot infer the -1 dimension when reshaping ", describe());
    d[infer] = numel() / known;
  }
  Shape s(d);
  if (s.numel() != numel())
    fail("reshape", "cannot reshape ", describe(), " to ", s.str(), " (", numel(), " vs ", s.numel(),
         " elements)");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->offset_bytes = impl_->offset_bytes;
  impl->shape = s;
  impl->dtype = dtype();
  Shape orig = shape();
  return record("reshape", Tensor(std::move(impl)), {*this}, [orig](const TensorList& g, const Needs&) {
    return TensorList{g[0].reshape(orig.vec())};
  });
}

}  // namespace dien
