// SPDX-License-Identifier: MIT
// CPU-versus-CUDA parity of every call of every op case of the kernel lab's table
// (kernels/lab/op_cases.h), at every dtype the case lists: the calls run in order, each on the
// CPU's tensors and on copies of them on cuda:0, with the call's outputs poisoned first, and
// every tensor is compared afterwards (inputs included; workspaces with unspecified entries, and
// outputs no call has written yet, excluded). A workspace's layout is each backend's own (the
// CPU's scan keeps its saved gates compact by row block and step): the GPU side keeps its own
// workspace from the call that wrote it, where every other tensor starts from the CPU's. The
// hand-written files next to this one add edge shapes and modes. Runs only where a GPU exists.
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
        const std::vector<bool> scratch = test::scratch_mask(inst);
        // Outputs that no call has written yet hold nothing specified: compared from the call
        // that writes them on.
        std::vector<bool> skip = scratch;
        for (size_t i = 0; i < inst.args.size(); ++i) skip[i] = skip[i] || inst.args[i].role == lab::Role::Out;
        TensorList gpu_ws(cpu.size());  // the GPU's own workspaces, from the call that wrote them
        for (const lab::Call& call : inst.calls) {
          INFO(test::call_label(c, dt, call) << " at " << inst.shape);
          test::poison_outputs(inst, call, cpu);
          TensorList gpu_own(cpu.size());  // workspaces this call reads but does not write
          for (size_t i = 0; i < cpu.size(); ++i) gpu_own[i] = scratch[i] ? gpu_ws[i] : Tensor();
          for (int i : call.writes) {
            gpu_own[static_cast<size_t>(i)] = Tensor();
            if (inst.args[static_cast<size_t>(i)].role == lab::Role::Out) skip[static_cast<size_t>(i)] = false;
          }
          cpu = test::require_backend_parity(call.fn, cpu, tol.rtol, tol.atol, skip, &gpu_own);
          for (size_t i = 0; i < cpu.size(); ++i)
            if (scratch[i]) gpu_ws[i] = gpu_own[i];
        }
      }
}
