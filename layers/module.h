// SPDX-License-Identifier: MIT
// Module: the base of dien's layers, like torch.nn.Module. A module owns named parameters
// (trainable leaves), named buffers (state that is saved but not trained, e.g. running
// statistics) and named child modules; names of nested entries are dotted ("fc1.weight").
//
//   class Mlp : public dien::Module {
//    public:
//     explicit Mlp(dien::Generator& g)
//         : fc1(register_module("fc1", std::make_shared<dien::Linear>(8, 4, true, g))),
//           fc2(register_module("fc2", std::make_shared<dien::Linear>(4, 1, true, g))) {}
//     dien::Tensor forward(const dien::Tensor& x) { return fc2->forward(dien::relu(fc1->forward(x))); }
//     std::shared_ptr<dien::Linear> fc1, fc2;
//   };
//   Mlp m(gen);
//   dien::Adam opt(m.named_parameters());        // "fc1.weight", "fc1.bias", "fc2.weight", ...
//   m.save("mlp.safetensors");                   // parameters + buffers
//   m.load("mlp.safetensors");                   // copies values into the existing tensors
//
// Modules are not copyable (a copy would share tensors silently); hold them by value or by
// shared_ptr.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "optim/optimizer.h"
#include "core/tensor.h"

namespace dien {

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Registers a trainable leaf (requires_grad is switched on) and returns its handle. Names are
  // non-empty, contain no '.', and are unique among this module's parameters, buffers and
  // children.
  Tensor register_parameter(const std::string& name, Tensor t);
  // Registers a saved, non-trained tensor (any dtype).
  Tensor register_buffer(const std::string& name, Tensor t);
  // Registers a child module and returns it.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    add_child(name, m);
    return m;
  }

  // Recursive, in registration order: own entries first, then each child's, dotted.
  NamedParameters named_parameters() const;
  std::vector<Tensor> parameters() const;
  NamedParameters named_buffers() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const {
    return children_;
  }

  // Training mode (the default) or evaluation mode, for this module and all children.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Drops the gradient of every parameter.
  void zero_grad();

  // Moves every parameter and buffer to `device` in place: each registered tensor's storage is
  // replaced by that of its copy on `device`, so every handle to it (layers keep their own) follows.
  // Accumulated gradients are dropped. Not while a graph that saved these tensors is alive; build
  // optimizers after the move (their state tensors do not follow).
  void to(Device device);

  // Parameters and buffers by dotted name; tensors share memory with the module.
  std::map<std::string, Tensor> state_dict() const;
  // Copies values into the existing tensors (casting dtype and moving device as needed).
  // Names must match exactly and shapes must agree; otherwise throws dien::Error listing every
  // missing, unexpected and mis-shaped entry, and changes nothing.
  void load_state_dict(const std::map<std::string, Tensor>& state);
  // state_dict() to and from a safetensors file (core/serialize.h).
  void save(const std::string& path) const;
  void load(const std::string& path);

 private:
  void check_name(const std::string& name, const char* what) const;
  void add_child(const std::string& name, std::shared_ptr<Module> m);
  void collect(const std::string& prefix, NamedParameters& params, NamedParameters& buffers) const;

  NamedParameters params_;
  NamedParameters buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace dien
