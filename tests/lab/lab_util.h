// SPDX-License-Identifier: MIT
// What the tests driven by the kernel lab's table (kernels/lab/op_cases.h) share: preparing a
// call's outputs, and walking every (case, dtype) pair.
#pragma once
#include <functional>
#include <vector>

#include "kernels/dispatch.h"
#include "kernels/lab/op_cases.h"
#include "support/test_util.h"

namespace dien::test {

// Before `call` runs: its Out and Scratch tensors become NaN (integers: a sentinel), on the
// device they were on, so an element the kernel does not write shows up.
inline void poison_outputs(const lab::Instance& inst, const lab::Call& call, std::vector<Tensor>& t) {
  for (int i : call.writes) {
    const lab::Role r = inst.args[i].role;
    if (r == lab::Role::Out || r == lab::Role::Scratch) t[i] = poisoned(t[i].shape(), t[i].dtype()).to(t[i].device());
  }
}

// skip[i]: the tensor's entries are unspecified (Scratch), so they are never compared.
inline std::vector<bool> scratch_mask(const lab::Instance& inst) {
  std::vector<bool> skip;
  for (const lab::Arg& a : inst.args) skip.push_back(a.role == lab::Role::Scratch);
  return skip;
}

// "case dtype: kernel (variant)", for INFO.
inline std::string call_label(const lab::OpCase& c, DType dt, const lab::Call& call) {
  std::string s = c.name + " " + dtype_name(dt) + ": " + call.kernel;
  if (!call.variant.empty()) s += " (" + call.variant + ")";
  return s;
}

}  // namespace dien::test
