// SPDX-License-Identifier: MIT
// The only file that knows whether dien was built with CUDA.
#include "kernels/dispatch.h"

#include "kernels/cpu/cpu_backend.h"
#if DIEN_WITH_CUDA
#include "kernels/cuda/cuda_runtime_api.h"
#endif

namespace dien {

const char* unary_op_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg: return "neg";
    case UnaryOp::Exp: return "exp";
    case UnaryOp::Log: return "log";
    case UnaryOp::Sigmoid: return "sigmoid";
    case UnaryOp::Tanh: return "tanh";
    case UnaryOp::Relu: return "relu";
  }
  return "?";
}

const char* binary_op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "add";
    case BinaryOp::Sub: return "sub";
    case BinaryOp::Mul: return "mul";
    case BinaryOp::Div: return "div";
  }
  return "?";
}

Backend& backend_for(Device device) {
  if (device.is_cpu()) {
    static cpu::CpuBackend cpu_backend;
    return cpu_backend;
  }
#if DIEN_WITH_CUDA
  int n = cuda_device_count();
  if (device.index < 0 || device.index >= n)
    fail("device", "tensor is on ", device.str(), " but ", n, " CUDA device(s) are available");
  fail("device", "tensor is on ", device.str(),
       " but the CUDA backend's kernels are not implemented yet (see the CUDA-backend issue)");
#else
  fail("device", "tensor is on ", device.str(), " but dien was built with DIEN_CUDA=OFF");
#endif
}

int cuda_device_count() {
#if DIEN_WITH_CUDA
  return cuda::device_count();
#else
  return 0;
#endif
}

}  // namespace dien
