// SPDX-License-Identifier: MIT
// gradcheck: compares the analytic Jacobian (one backward pass per output element, with a
// one-hot output gradient) with central finite differences in float64, for every input that
// requires grad.
//
//   auto x = uniform({3, 4}, -1, 1, gen, DType::F64).set_requires_grad();
//   auto r = gradcheck([](const TensorList& in) { return tanh(in[0]); }, {x});
//   REQUIRE(r.ok);   // r.summary() lists max abs / rel error per input
//
// Error measure per Jacobian entry: |a - n| / max(|a|, |n|, rel_floor); entries smaller than
// rel_floor are thus compared absolutely (a relative error of tiny numbers is noise).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "autograd/node.h"

namespace dien {

struct GradcheckOptions {
  double eps = 1e-6;        // finite-difference step
  double tol = 1e-6;        // pass when every input's max_rel < tol
  double rel_floor = 1e-3;  // see the header comment
  bool five_point = false;  // 4th-order central difference (for curvy functions)
};

struct GradcheckInput {
  int index = 0;               // position in the inputs list
  double max_abs = 0;          // max |analytic - numeric|
  double max_rel = 0;          // max of the per-entry measure above
  int64_t worst_out = -1, worst_in = -1;  // Jacobian entry of max_rel
  double analytic = 0, numeric = 0;       // values at that entry
};

struct GradcheckResult {
  bool ok = true;
  std::vector<GradcheckInput> inputs;
  std::string summary() const;
};

GradcheckResult gradcheck(const std::function<Tensor(const TensorList&)>& fn, const TensorList& inputs,
                          const GradcheckOptions& opt = {});

}  // namespace dien
