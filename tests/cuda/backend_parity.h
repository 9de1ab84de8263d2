// SPDX-License-Identifier: MIT
// Kernel-level CPU-versus-CUDA parity, next to tests/cuda/parity.h (which goes through the
// differentiable ops): runs one Backend call on CPU copies and on cuda:0 copies of the same
// tensors (inputs and preallocated outputs, in the call's own order) and compares every tensor
// afterwards. That reaches what the ops never do, e.g. the beta = 1 accumulate paths and
// in-place aliasing. Outputs that a call must overwrite can start as NaN (test::poisoned) so an
// unwritten or read-before-written element shows up as a mismatch; inputs must come back unchanged.
#pragma once
#include <functional>
#include <vector>

#include "tests/cuda/parity.h"

namespace dien::test {

// Tolerance per dtype for results that differ only by rounding (|gpu - cpu| <= atol + rtol*|cpu|).
struct Tol {
  double rtol, atol;
};
inline Tol tol_for(DType dt) { return dt == DType::F32 ? Tol{1e-5, 1e-6} : Tol{1e-12, 1e-12}; }

// Returns the CPU tensors after the call (to chain calls). skip[i]: tensor i is not compared
// (its entries are unspecified, e.g. a workspace). gpu_own (optional): where gpu_own[i] is
// defined, the GPU side starts from it instead of a copy of tensors[i] (a workspace whose layout
// is the backend's own); afterwards it holds the GPU side's tensor i for every i.
inline TensorList require_backend_parity(const std::function<void(Backend&, TensorList&)>& call,
                                         const TensorList& tensors, double rtol, double atol,
                                         const std::vector<bool>& skip = {}, TensorList* gpu_own = nullptr) {
  TensorList c, g;
  for (size_t i = 0; i < tensors.size(); ++i) {
    c.push_back(tensors[i].detach().clone());
    const bool own = gpu_own && i < gpu_own->size() && (*gpu_own)[i].defined();
    g.push_back(own ? (*gpu_own)[i] : tensors[i].detach().to(Device::cuda(0)));
  }
  call(backend_for(Device::cpu()), c);
  call(backend_for(Device::cuda(0)), g);
  for (size_t i = 0; i < c.size(); ++i) {
    if (i < skip.size() && skip[i]) continue;
    INFO("tensor " << i << " of the call: cpu " << c[i].describe() << ", gpu " << g[i].describe());
    REQUIRE(g[i].device() == Device::cuda(0));
    REQUIRE_CLOSE(g[i], c[i], rtol, atol);
  }
  if (gpu_own) *gpu_own = g;
  return c;
}

}  // namespace dien::test
