// SPDX-License-Identifier: MIT
// The backward engine: an iterative (no recursion: GRU chains are long) topological pass.
//  1. Walk the graph from the roots, counting for each node how many edges point at it.
//  2. Kahn's algorithm: a node runs once every consumer has delivered its gradient; gradients
//     arriving at the same (node, output) are summed.
//  3. After a node runs, its saved tensors are freed unless retain_graph.
//  4. Row-sparse gradients (autograd/sparse_grad.h) collected during the pass are added to their
//     leaves at its end, once per leaf, as AccumulateGrad adds a dense leaf's total.
#include <unordered_map>
#include <vector>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/sparse_grad.h"

namespace dien {

void run_backward(const TensorList& roots, const TensorList& grads, bool retain_graph) {
  NoGradGuard no_grad;  // backward functions build no graph (no double backward)
  RowSparsePass sparse_pass;

  // Root edges and a virtual entry of gradients per (node, output).
  std::unordered_map<Node*, int> deps;
  std::unordered_map<Node*, TensorList> buffers;
  std::vector<Node*> stack;
  std::vector<std::shared_ptr<Node>> keep;  // keep nodes alive while we run

  auto accumulate = [&](Node* node, int nr, const Tensor& g) {
    TensorList& buf = buffers[node];
    if (buf.empty()) buf.resize(node->outputs.size());
    const TensorMeta& m = node->outputs[nr];
    if (g.shape() != m.shape || g.dtype() != m.dtype)
      fail(node->name().c_str(), "backward produced a gradient ", g.describe(), " for an output of shape ",
           m.shape.str(), " ", dtype_name(m.dtype), " (internal error in the op's backward)");
    buf[nr] = buf[nr].defined() ? add(buf[nr], g) : g;
  };

  // 1. Count dependencies.
  for (const auto& r : roots) {
    Edge e = gradient_edge(r);
    if (!e.node) continue;
    if (!deps.count(e.node.get())) {
      deps[e.node.get()] = 0;
      keep.push_back(e.node);
      stack.push_back(e.node.get());
    }
  }
  std::vector<Node*> walk = stack;
  while (!walk.empty()) {
    Node* n = walk.back();
    walk.pop_back();
    for (const Edge& e : n->next_edges) {
      if (!e.node) continue;
      auto it = deps.find(e.node.get());
      if (it == deps.end()) {
        deps[e.node.get()] = 1;
        walk.push_back(e.node.get());
      } else {
        ++it->second;
      }
    }
  }
  // Root gradients.
  for (size_t i = 0; i < roots.size(); ++i) {
    Edge e = gradient_edge(roots[i]);
    if (e.node) accumulate(e.node.get(), e.input_nr, grads[i]);
  }

  // 2. Run nodes whose consumers are all done.
  std::vector<Node*> ready;
  for (Node* n : stack)
    if (deps[n] == 0) ready.push_back(n);
  while (!ready.empty()) {
    Node* n = ready.back();
    ready.pop_back();
    TensorList g = std::move(buffers[n]);
    buffers.erase(n);
    if (g.empty()) g.resize(n->outputs.size());
    for (size_t i = 0; i < g.size(); ++i)
      if (!g[i].defined()) g[i] = zeros(n->outputs[i].shape, n->outputs[i].dtype, n->outputs[i].device);
    TensorList gin = n->apply(g);
    if (!retain_graph) n->release_saved();
    if (!gin.empty() && gin.size() != n->next_edges.size())
      fail(n->name().c_str(), "backward returned ", gin.size(), " gradients for ", n->next_edges.size(),
           " inputs (internal error)");
    for (size_t i = 0; i < n->next_edges.size(); ++i) {
      const Edge& e = n->next_edges[i];
      if (!e.node) continue;
      if (i < gin.size() && gin[i].defined()) accumulate(e.node.get(), e.input_nr, gin[i]);
      if (--deps[e.node.get()] == 0) ready.push_back(e.node.get());
    }
  }
  sparse_pass.flush();
}

}  // namespace dien
