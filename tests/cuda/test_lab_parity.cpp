// SPDX-License-Identifier: MIT
// CPU-versus-CUDA parity of every call of every op case of the kernel lab's table
// (kernels/lab/op_cases.h), at every dtype the case lists: the calls run in order, each on the
// CPU's tensors and on copies of them on cuda:0, with the call's outputs poisoned first, and
// every tensor is compared afterwards (inputs included; workspaces with unspecified entries
// excluded). The hand-written files next to this one add edge shapes and modes.
// Runs only where a GPU exists.
#include "tests/cuda/backend_parity.h"
#include "tests/lab/lab_util.h"

using namespace dien;

TEST_CASE("cuda lab: every call of every op case matches the CPU", "[lab][cuda][kernel]") {
  for (const lab::OpCase& c : lab::op_cases())
    for (DType dt : c.dtypes)
      DYNAMIC_SECTION(c.name << " " << dtype_name(dt)) {
        Generator g(7);
        lab::Instance inst = c.build(lab::Size::Small, dt, g);
        const lab::Tol tol = inst.tol(dt);
        std::vector<Tensor> cpu = inst.tensors();
        for (const lab::Call& call : inst.calls) {
          INFO(test::call_label(c, dt, call) << " at " << inst.shape);
          test::poison_outputs(inst, call, cpu);
          cpu = test::require_backend_parity(call.fn, cpu, tol.rtol, tol.atol, test::scratch_mask(inst));
        }
      }
}
