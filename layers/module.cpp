// SPDX-License-Identifier: MIT
// Module: registry of parameters, buffers and children; recursive traversal; state
// dictionaries and their safetensors files.
#include "layers/module.h"

#include <set>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "core/serialize.h"
#include "kernels/dispatch.h"

namespace dien {

void Module::check_name(const std::string& name, const char* what) const {
  if (name.empty()) fail("module", "a ", what, " needs a non-empty name");
  if (name.find('.') != std::string::npos)
    fail("module", what, " name '", name, "' contains '.', which separates nested names");
  auto taken = [&](const auto& list) {
    for (const auto& e : list)
      if (e.first == name) return true;
    return false;
  };
  if (taken(params_) || taken(buffers_) || taken(children_))
    fail("module", "the name '", name, "' is already registered in this module");
}

Tensor Module::register_parameter(const std::string& name, Tensor t) {
  check_name(name, "parameter");
  if (!t.defined()) fail("module", "parameter '", name, "' is undefined");
  if (!t.is_leaf())
    fail("module", "parameter '", name, "' must be a leaf tensor, it was made by ", t.grad_fn()->name(),
         " (use detach())");
  t.set_requires_grad(true);  // checks that it is floating
  params_.emplace_back(name, t);
  return t;
}

Tensor Module::register_buffer(const std::string& name, Tensor t) {
  check_name(name, "buffer");
  if (!t.defined()) fail("module", "buffer '", name, "' is undefined");
  buffers_.emplace_back(name, t);
  return t;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> m) {
  check_name(name, "module");
  if (!m) fail("module", "child module '", name, "' is null");
  children_.emplace_back(name, std::move(m));
}

void Module::collect(const std::string& prefix, NamedParameters& params, NamedParameters& buffers) const {
  for (const auto& [n, t] : params_) params.emplace_back(prefix + n, t);
  for (const auto& [n, t] : buffers_) buffers.emplace_back(prefix + n, t);
  for (const auto& [n, c] : children_) c->collect(prefix + n + ".", params, buffers);
}

NamedParameters Module::named_parameters() const {
  NamedParameters p, b;
  collect("", p, b);
  return p;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters()) out.push_back(t);
  return out;
}

NamedParameters Module::named_buffers() const {
  NamedParameters p, b;
  collect("", p, b);
  return b;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, c] : children_) c->train(on);
}

void Module::zero_grad() {
  for (auto& [n, t] : named_parameters()) t.zero_grad();
}

void Module::to(Device device) {
  NamedParameters p, b;
  collect("", p, b);
  p.insert(p.end(), b.begin(), b.end());
  NoGradGuard no_grad;
  for (auto& [n, t] : p) {
    t.zero_grad();
    if (t.device() == device) continue;
    Tensor moved = t.detach().to(device);
    TensorImpl* dst = t.impl();
    dst->storage = moved.impl()->storage;
    dst->offset_bytes = moved.impl()->offset_bytes;
  }
}

std::map<std::string, Tensor> Module::state_dict() const {
  NamedParameters p, b;
  collect("", p, b);
  std::map<std::string, Tensor> out;
  for (auto& [n, t] : p) out[n] = t.detach();
  for (auto& [n, t] : b) out[n] = t.detach();
  return out;
}

void Module::load_state_dict(const std::map<std::string, Tensor>& state) {
  NamedParameters p, b;
  collect("", p, b);
  p.insert(p.end(), b.begin(), b.end());

  std::string problems;
  auto problem = [&](const std::string& s) { problems += (problems.empty() ? "" : "; ") + s; };
  std::set<std::string> known;
  for (const auto& [n, t] : p) {
    known.insert(n);
    auto it = state.find(n);
    if (it == state.end()) {
      problem("missing '" + n + "' " + t.shape().str());
    } else if (!it->second.defined()) {
      problem("'" + n + "' is undefined in the loaded state");
    } else if (it->second.shape() != t.shape()) {
      problem("'" + n + "' has shape " + t.shape().str() + " in the module but " + it->second.shape().str() +
              " in the loaded state");
    }
  }
  for (const auto& [n, t] : state)
    if (!known.count(n)) problem("unexpected '" + n + "' " + (t.defined() ? t.shape().str() : "<undefined>"));
  if (!problems.empty()) fail("load_state_dict", problems);

  NoGradGuard no_grad;
  for (auto& [n, dst] : p) {
    Tensor src = state.at(n).detach().to(dst.device());
    Backend& be = backend_for(dst);
    if (src.dtype() == dst.dtype())
      be.copy_bytes(dst.raw_data(), dst.device(), src.raw_data(), src.device(), dst.nbytes());
    else
      be.cast(src, dst);
  }
}

void Module::save(const std::string& path) const { save_safetensors(path, state_dict()); }

void Module::load(const std::string& path) {
  SafetensorsFile f = load_safetensors(path);
  try {
    load_state_dict(f.tensors);
  } catch (const Error& e) {
    fail("module load", path, ": ", e.what());
  }
}

}  // namespace dien
