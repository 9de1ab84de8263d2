// SPDX-License-Identifier: MIT
// CPU-versus-CUDA parity: the same op code runs on both backends (ops dispatch on the tensors'
// device), so a parity check runs a function on CPU inputs and on copies of them on cuda:0,
// then compares every output and, after backpropagating the same random output gradients on
// both, the gradient of every input that requires grad. GPU allocations are NaN-poisoned by
// tests/mains/cuda_main.cpp, so unwritten elements show up as mismatches.
#pragma once
#include <algorithm>
#include <cmath>
#include <functional>

#include "kernels/dispatch.h"
#include "support/test_util.h"

namespace dien::test {

// Sets dien::set_deterministic for a scope and restores the default (off) even when a REQUIRE
// throws.
struct DeterministicScope {
  explicit DeterministicScope(bool on) { set_deterministic(on); }
  ~DeterministicScope() { set_deterministic(false); }
  DeterministicScope(const DeterministicScope&) = delete;
  DeterministicScope& operator=(const DeterministicScope&) = delete;
};

inline Tensor fresh_leaf(const Tensor& x, Device d) {
  Tensor t = x.detach().to(d);
  if (t.same(x) || t.impl()->storage == x.impl()->storage) t = x.detach().clone();
  if (x.requires_grad()) t.set_requires_grad(true);
  return t;
}

// The scale of a tensor's entries: max(1, max |x|).
inline double magnitude(const Tensor& x) {
  double m = 1;
  for (double v : x.detach().to(Device::cpu()).to(DType::F64).to_vector<double>()) m = std::max(m, std::abs(v));
  return m;
}

// rtol/atol: |gpu - cpu| <= atol + rtol*|cpu| elementwise. atol_by_magnitude: atol is relative
// to each tensor's magnitude() (for results that sum many terms, whose cancelled entries keep
// the rounding error of the large ones).
inline void require_parity(const std::function<TensorList(const TensorList&)>& fn, const TensorList& inputs,
                           double rtol = 1e-5, double atol = 1e-6, uint64_t seed = 99, bool atol_by_magnitude = false) {
  auto atol_of = [&](const Tensor& want) { return atol_by_magnitude ? atol * magnitude(want) : atol; };
  const Device gpu = Device::cuda(0);
  TensorList in_c, in_g;
  for (const auto& x : inputs) {
    in_c.push_back(x.defined() ? fresh_leaf(x, Device::cpu()) : Tensor());
    in_g.push_back(x.defined() ? fresh_leaf(x, gpu) : Tensor());
  }
  TensorList out_c = fn(in_c), out_g = fn(in_g);
  REQUIRE(out_c.size() == out_g.size());
  Generator g(seed);
  Tensor loss_c, loss_g;
  for (size_t i = 0; i < out_c.size(); ++i) {
    INFO("output " << i << ": cpu " << out_c[i].describe() << ", gpu " << out_g[i].describe());
    REQUIRE(out_g[i].device() == gpu);
    REQUIRE_CLOSE(out_g[i], out_c[i], rtol, atol_of(out_c[i]));
    if (!out_c[i].requires_grad()) continue;
    Tensor w = uniform(out_c[i].shape(), 0.5, 1.5, g, out_c[i].dtype());
    Tensor lc = sum(mul(out_c[i], w)), lg = sum(mul(out_g[i], w.to(gpu)));
    loss_c = loss_c.defined() ? add(loss_c, lc) : lc;
    loss_g = loss_g.defined() ? add(loss_g, lg) : lg;
  }
  if (!loss_c.defined()) return;
  loss_c.backward();
  loss_g.backward();
  for (size_t i = 0; i < in_c.size(); ++i) {
    if (!in_c[i].defined() || !in_c[i].requires_grad()) continue;
    INFO("gradient of input " << i << " " << in_c[i].describe());
    REQUIRE(in_c[i].grad().defined() == in_g[i].grad().defined());
    if (in_c[i].grad().defined()) REQUIRE_CLOSE(in_g[i].grad(), in_c[i].grad(), rtol, atol_of(in_c[i].grad()));
  }
}

}  // namespace dien::test
