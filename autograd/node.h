// SPDX-License-Identifier: MIT
// The autograd graph. Each differentiable op that sees an input requiring grad records a Node
// holding (1) an Edge per input to the node that produced it (or to the leaf's AccumulateGrad),
// (2) the metadata of its outputs, (3) a backward function that maps output gradients to
// input gradients, with the tensors it saved captured inside it.
//
// Writing an op (see autograd/ops/*.cpp):
//   Tensor y = Tensor::empty(...); backend_for(x).unary_forward(UnaryOp::Exp, x, y);
//   return record("exp", y, {x}, [ys = y.detach()](const TensorList& g, const Needs&) {
//     return TensorList{mul(g[0], ys)};  // d exp(x) = exp(x) dx
//   });
// Capture outputs only through detach(): the node must not own a tensor that owns the node.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace dien {

using TensorList = std::vector<Tensor>;
using Needs = std::vector<bool>;  // needs[i]: input i wants a gradient

struct Edge {
  std::shared_ptr<Node> node;  // null: that input needs no gradient
  int input_nr = 0;            // which output of `node` the input was
};

struct TensorMeta {
  Shape shape;
  DType dtype = DType::F32;
  Device device;
};

class Node {
 public:
  explicit Node(std::string name) : name_(std::move(name)) {}
  virtual ~Node() = default;
  const std::string& name() const { return name_; }

  // Gradients of the inputs (one per next_edges entry; undefined where not needed) from the
  // gradients of the outputs (one per outputs entry, never undefined: the engine fills zeros).
  virtual TensorList apply(const TensorList& grad_outputs) = 0;
  // Frees what was saved for backward (called after apply unless retain_graph).
  virtual void release_saved() {}

  std::vector<Edge> next_edges;
  std::vector<TensorMeta> outputs;

 private:
  std::string name_;
};

// Leaf sink: adds the incoming gradient into the leaf's .grad.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(const std::shared_ptr<TensorImpl>& leaf);
  TensorList apply(const TensorList& grad_outputs) override;

 private:
  std::weak_ptr<TensorImpl> leaf_;
};

using BackwardFn = std::function<TensorList(const TensorList& grad_outputs, const Needs& needs)>;

class FunctionNode final : public Node {
 public:
  FunctionNode(std::string name, BackwardFn fn, Needs needs)
      : Node(std::move(name)), fn_(std::move(fn)), needs_(std::move(needs)) {}
  TensorList apply(const TensorList& grad_outputs) override;
  void release_saved() override { fn_ = nullptr; }

 private:
  BackwardFn fn_;
  Needs needs_;
};

// The edge through which a gradient for `t` flows (null node if t needs no gradient).
Edge gradient_edge(const Tensor& t);

// True when grad mode is on and some input requires grad.
bool should_record(const TensorList& inputs);

// Records `out` as the result of op `name` applied to `inputs` (when should_record) and returns
// it; `fn` computes input gradients from the output gradient.
Tensor record(const char* name, Tensor out, const TensorList& inputs, BackwardFn fn);
// Multi-output form: all of `outs` become outputs 0..n-1 of one node.
void record_multi(const char* name, TensorList& outs, const TensorList& inputs, BackwardFn fn);
// Makes `out` output 0 of a node built by the caller (a Node subclass with its own next_edges,
// e.g. autograd/sparse_grad.h) and returns it.
Tensor record_node(Tensor out, const std::shared_ptr<Node>& node);

// Differentiable device transfer (used by Tensor::to(Device)): `out` already holds the copy.
Tensor autograd_to_device(const Tensor& src, Tensor out);

// Runs the backward pass from `roots` with gradients `grads` (engine.cpp).
void run_backward(const TensorList& roots, const TensorList& grads, bool retain_graph);

}  // namespace dien
