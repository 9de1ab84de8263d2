// SPDX-License-Identifier: MIT
// The kernel lab: ONE table of op cases over the raw Backend kernels (kernels/backend.h), in the
// spirit of llm.c's dev/cuda and ggml's test-backend-ops. Each case builds, deterministically and
// on the CPU, the tensors of one or more Backend calls (inputs with non-trivial values,
// preallocated outputs) for a size and dtype, and the calls themselves, which invoke the kernel
// directly (no autograd, no ops, no loss). Three consumers walk the same table:
//   tests/lab/       every case runs on the CPU, writes every output, keeps its inputs; float64
//                    gradcheck of each backward kernel against finite differences of its forward
//                    kernel; every Backend method has a case (parsed from kernels/backend.h);
//   tests/cuda/test_lab_parity.cpp   CPU-versus-CUDA parity of every call (GPU only);
//   bench/bench_ops  per-kernel timing of every call at DIEN's shapes.
// Adding a kernel: add one case in op_cases.cpp (docs/kernels.md); the rest follows.
//
// Not part of libdien: built as dien_kernel_lab for the tests and benchmarks only.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/rng.h"
#include "kernels/backend.h"

namespace dien::lab {

// Small: what the tests build (gradcheck forms full Jacobians). Quick and Full: what bench_ops
// times, DIEN's shapes (B = 256 / 1024 sequences, T = 100 steps, H = 36, E = 18).
enum class Size : uint8_t { Small, Quick, Full };

// What a call does to a tensor it writes, and so what a driver does before it.
enum class Role : uint8_t {
  In,       // read only: must come back unchanged
  Out,      // overwritten: tests poison it first (NaN, or a sentinel for integers)
  Acc,      // read and updated (beta = 1, in place, optimizer state): starts with values
  Scratch,  // written and read by a later call, with unspecified entries: never compared
};

struct Arg {
  std::string name;
  Tensor t;
  Role role;
};

using CallFn = std::function<void(Backend&, std::vector<Tensor>&)>;

struct Call {
  std::string kernel;   // Backend method(s) called, "a+b" for two; see DIEN_LAB_KERNEL
  std::string variant;  // what distinguishes this call from others of the same kernel ("beta=1")
  std::vector<int> reads, writes;  // indices into Instance::args
  CallFn fn;
  double flops = 0;  // floating-point operations, where the kernel is compute bound (else 0)
  bool timed = true;  // false: repeating it would drift (in-place ops); tests only
};

// A differentiable case: call `forward` maps args `wrt` to args `outs`; the calls `backward`
// (run in order) map `g_outs` (gradients of `outs`, same order) to `g_wrt` (gradients of `wrt`,
// same order). Other args (saved statistics, workspaces, lengths) stay as `forward` left them.
struct Grad {
  int forward = 0;
  std::vector<int> backward = {1};
  std::vector<int> wrt, outs, g_outs, g_wrt;
  double tol = 1e-6;        // gradcheck's max relative error
  bool five_point = false;  // 4th-order differences (curvy functions)
};

// Parity tolerance, |gpu - cpu| <= atol + rtol * |cpu|.
struct Tol {
  double rtol, atol;
};

// One case built for one size and dtype: its tensors and calls, in the order they run.
struct Instance {
  std::vector<Arg> args;
  std::vector<Call> calls;
  std::optional<Grad> grad;
  std::string shape;  // for reports, e.g. "B=256 T=100 H=36"
  Tol tol32{1e-5, 1e-6}, tol64{1e-12, 1e-12};

  int in(std::string name, Tensor t) { return add(std::move(name), std::move(t), Role::In); }
  int acc(std::string name, Tensor t) { return add(std::move(name), std::move(t), Role::Acc); }
  int out(std::string name, const Shape& s, DType dt) { return add(std::move(name), Tensor::empty(s, dt), Role::Out); }
  int scratch(std::string name, const Shape& s, DType dt) {
    return add(std::move(name), Tensor::empty(s, dt), Role::Scratch);
  }
  Call& call(std::string kernel, std::vector<int> reads, std::vector<int> writes, CallFn fn) {
    calls.push_back({std::move(kernel), "", std::move(reads), std::move(writes), std::move(fn)});
    return calls.back();
  }
  std::vector<Tensor> tensors() const;        // the args' tensors (shared, not copied)
  double bytes(const Call& c) const;          // each read and written arg once: a traffic floor
  Tol tol(DType dt) const { return dt == DType::F64 ? tol64 : tol32; }

 private:
  int add(std::string name, Tensor t, Role role) {
    args.push_back({std::move(name), std::move(t), role});
    return static_cast<int>(args.size()) - 1;
  }
};

struct OpCase {
  std::string name;            // "family.variant", e.g. "softmax.masked"
  std::vector<DType> dtypes;   // what it is built for; the first is what bench_ops times
  std::function<Instance(Size, DType, Generator&)> build;  // CPU tensors, deterministic in the generator
};

// The table (op_cases.cpp), in backend.h's order.
const std::vector<OpCase>& op_cases();
// Every Backend method some call of some case names (built at Size::Small).
std::vector<std::string> covered_kernels();
// Splits a Call::kernel "a+b" into its method names.
std::vector<std::string> split_kernels(const std::string& kernel);
// Deep copies of `ts` on `device`.
std::vector<Tensor> copy_to(const std::vector<Tensor>& ts, Device device);

}  // namespace dien::lab

// The name of a Backend method, checked at compile time: DIEN_LAB_KERNEL(gemm) is "gemm".
#define DIEN_LAB_KERNEL(method) ((void)&::dien::Backend::method, #method)
#define DIEN_LAB_KERNEL2(m1, m2) ((void)&::dien::Backend::m1, (void)&::dien::Backend::m2, #m1 "+" #m2)
