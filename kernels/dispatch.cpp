// SPDX-License-Identifier: MIT
// The only file that knows whether dien was built with CUDA.
#include "kernels/dispatch.h"

#include "kernels/cpu/cpu_backend.h"
#if DIEN_WITH_CUDA
#include "kernels/cuda/cuda_backend.h"
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

const char* rnn_cell_name(RnnCell c) {
  switch (c) {
    case RnnCell::Gru: return "gru";
    case RnnCell::AugruPaper: return "augru(paper)";
    case RnnCell::AugruReference: return "augru(reference)";
    case RnnCell::Agru: return "agru";
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
  static cuda::CudaBackend cuda_backend;
  return cuda_backend;
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

bool cuda_built() { return DIEN_WITH_CUDA != 0; }

#if DIEN_WITH_CUDA
CudaMemoryStats cuda_memory_stats(int device) {
  auto s = cuda::memory_stats(device);
  return {s.allocated_bytes, s.cached_bytes, s.peak_allocated_bytes, s.num_allocs, s.num_device_mallocs};
}
void cuda_empty_cache() { cuda::empty_cache(); }
void cuda_synchronize() {
  if (cuda_device_count() > 0) cuda::synchronize();
}
void cuda_set_allow_tf32(bool on) { cuda::set_allow_tf32(on); }
void cuda_set_poison_allocations(bool on) { cuda::set_poison_allocations(on); }
void set_deterministic(bool on) { cuda::set_deterministic(on); }
uint64_t cuda_device_to_host_copies() { return cuda::device_to_host_copies(); }
uint64_t cuda_kernel_launches() { return cuda::kernel_launches(); }
#else
CudaMemoryStats cuda_memory_stats(int) { return {}; }
void cuda_empty_cache() {}
void cuda_synchronize() {}
void cuda_set_allow_tf32(bool) {}
void cuda_set_poison_allocations(bool) {}
void set_deterministic(bool) {}  // the CPU kernels are deterministic already
uint64_t cuda_device_to_host_copies() { return 0; }
uint64_t cuda_kernel_launches() { return 0; }
#endif

}  // namespace dien
