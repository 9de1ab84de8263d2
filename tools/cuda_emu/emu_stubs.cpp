// SPDX-License-Identifier: MIT
// Stand-ins for kernels/cuda/{device,memory,caching_allocator}.cu under the host emulation:
// "device" memory is host memory (poisoned with 0xFF bytes like the real allocator in tests).
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_runtime_api.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

namespace {
bool g_poison = false;
}

void throw_cuda_error(const char* op, const char* call, cudaError_t err, const char* file, int line) {
  fail(op, call, " failed (emulated) ", int(err), " at ", file, ":", line);
}
void throw_cublas_error(const char* op, const char* call, cublasStatus_t st, const char* file, int line) {
  fail(op, call, " failed (emulated cuBLAS) status ", int(st), " at ", file, ":", line);
}
int device_count() { return 1; }
MemoryStats memory_stats(int) { return {}; }
void empty_cache() {}
void set_poison_allocations(bool on) { g_poison = on; }
void set_allow_tf32(bool) {}
void synchronize() {}
void set_deterministic(bool) {}
cudaStream_t stream() { return nullptr; }
cublasHandle_t emu_cublas() { return reinterpret_cast<cublasHandle_t>(0x1); }
bool allow_tf32() { return false; }
bool deterministic() { return false; }
EmuDeviceGuard::EmuDeviceGuard(Device d) {
  if (!d.is_cuda() || d.index != 0) fail("emu", "DeviceGuard on ", d.str());
}
EmuDeviceGuard::~EmuDeviceGuard() {}

void* CudaBackend::allocate(size_t nbytes, Device) {
  size_t n = (nbytes + 63) / 64 * 64;
  if (n == 0) n = 64;
  void* p = std::aligned_alloc(64, n);
  if (g_poison) std::memset(p, 0xFF, n);
  return p;
}
void CudaBackend::deallocate(void* p, Device) { std::free(p); }
namespace {
uint64_t g_d2h = 0;
}
uint64_t device_to_host_copies() { return g_d2h; }
void CudaBackend::copy_bytes(void* dst, Device dst_dev, const void* src, Device src_dev, size_t nbytes) {
  if (nbytes == 0) return;
  if (src_dev.is_cuda() && dst_dev.is_cpu()) ++g_d2h;
  std::memmove(dst, src, nbytes);
}

}  // namespace dien::cuda
