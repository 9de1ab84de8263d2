// SPDX-License-Identifier: MIT
// Per-device state: one stream and one cuBLAS handle per device (made on first use, then found
// without a lock), the DeviceGuard, global switches (TF32, determinism), and the error
// formatting of check.h.
// Without a GPU or driver, cudaGetDeviceCount fails ("CUDA driver version is insufficient",
// "no CUDA-capable device"): that is reported as zero devices.
#include <cuda_runtime.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "kernels/cuda/check.h"
#include "kernels/cuda/cuda_runtime_api.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

void throw_cuda_error(const char* op, const char* call, cudaError_t err, const char* file, int line) {
  fail(op, call, " failed: ", cudaGetErrorName(err), " (", cudaGetErrorString(err), ") at ", file, ":", line);
}

static const char* cublas_status_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "CUBLAS_STATUS_UNKNOWN";
  }
}

void throw_cublas_error(const char* op, const char* call, cublasStatus_t st, const char* file, int line) {
  fail(op, call, " failed: ", cublas_status_name(st), " at ", file, ":", line);
}

int device_count() {
  int n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear the error state
    return 0;
  }
  return n;
}

namespace {
// A device's stream and cuBLAS handle, made once and never freed (they outlive static tensors).
// `math` is the math mode last set on the handle (-1: none yet).
struct PerDevice {
  cudaStream_t stream = nullptr;
  cublasHandle_t handle = nullptr;
  std::atomic<int> math{-1};
};
constexpr int kMaxDevices = 64;
std::mutex g_mu;                          // creation, and changes of a handle's math mode
std::atomic<PerDevice*> g_devices[kMaxDevices];
std::atomic<bool> g_tf32{false};
std::atomic<bool> g_deterministic{false};

// The current device's state: after the first call on a device, a cudaGetDevice, an atomic
// load and a compare, no lock (every launch asks for the stream). The math mode is set on the
// handle only when the TF32 switch changed since, under the lock.
PerDevice& current() {
  int dev = 0;
  DIEN_CUDA_CHECK("cuda", cudaGetDevice(&dev));
  if (dev < 0 || dev >= kMaxDevices) fail("cuda", "device index ", dev, " beyond the ", kMaxDevices, " supported");
  PerDevice* p = g_devices[dev].load(std::memory_order_acquire);
  if (!p) {
    std::lock_guard<std::mutex> lock(g_mu);
    p = g_devices[dev].load(std::memory_order_acquire);
    if (!p) {
      auto* made = new PerDevice();
      DIEN_CUDA_CHECK("cuda", cudaStreamCreateWithFlags(&made->stream, cudaStreamNonBlocking));
      DIEN_CUBLAS_CHECK("cuda", cublasCreate(&made->handle));
      DIEN_CUBLAS_CHECK("cuda", cublasSetStream(made->handle, made->stream));
      g_devices[dev].store(made, std::memory_order_release);
      p = made;
    }
  }
  const int want = g_tf32 ? 1 : 0;
  if (p->math.load(std::memory_order_acquire) != want) {
    std::lock_guard<std::mutex> lock(g_mu);
    if (p->math.load(std::memory_order_relaxed) != want) {
      DIEN_CUBLAS_CHECK("cuda", cublasSetMathMode(p->handle, want ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
      p->math.store(want, std::memory_order_release);
    }
  }
  return *p;
}
}  // namespace

cudaStream_t stream() { return current().stream; }
cublasHandle_t cublas() { return current().handle; }
bool allow_tf32() { return g_tf32; }
bool deterministic() { return g_deterministic; }
void set_allow_tf32(bool on) { g_tf32 = on; }
void set_deterministic(bool on) { g_deterministic = on; }

void synchronize() { DIEN_CUDA_CHECK("synchronize", cudaStreamSynchronize(stream())); }

DeviceGuard::DeviceGuard(Device d) {
  int cur = 0;
  DIEN_CUDA_CHECK("device", cudaGetDevice(&cur));
  if (cur != d.index) {
    DIEN_CUDA_CHECK("device", cudaSetDevice(d.index));
    prev_ = cur;
  }
}

DeviceGuard::~DeviceGuard() {
  if (prev_ >= 0) cudaSetDevice(prev_);
}

}  // namespace dien::cuda
