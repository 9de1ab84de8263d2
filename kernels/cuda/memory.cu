// SPDX-License-Identifier: MIT
// CUDA backend memory: allocation through the caching allocator, and copies between host and
// device. Copies are ordered on the device's stream. A device-to-host copy waits for completion
// and is counted (device_to_host_copies: a training step should make none). A host-to-device copy
// from pageable memory (all of dien's host memory) does not wait: cudaMemcpyAsync returns once the
// driver has staged the source, so the host may reuse or free it at once (PyTorch's non_blocking
// copies rely on the same), and the host goes on queueing work; from page-locked memory (a caller's
// cudaHostRegister'ed buffer) the copy reads the source later, and waits for completion.
#include <atomic>
#include <memory>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_runtime_api.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

void* device_allocate(size_t nbytes, int dev);  // caching_allocator.cu
void device_free(void* ptr, int dev);

void* CudaBackend::allocate(size_t nbytes, Device device) {
  DeviceGuard g(device);
  return device_allocate(nbytes, device.index);
}

void CudaBackend::deallocate(void* p, Device device) { device_free(p, device.index); }

namespace {
std::atomic<uint64_t> g_d2h{0};

struct Event {  // destroyed when done with (a pending event is released once it completes)
  cudaEvent_t e = nullptr;
  Event() { DIEN_CUDA_CHECK("copy", cudaEventCreateWithFlags(&e, cudaEventDisableTiming)); }
  ~Event() { cudaEventDestroy(e); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

bool page_locked(const void* host) {
  cudaPointerAttributes a{};
  if (cudaPointerGetAttributes(&a, host) != cudaSuccess) {
    (void)cudaGetLastError();  // CUDA before 11 refuses a pointer it does not know: pageable
    return false;
  }
  return a.type == cudaMemoryTypeHost;
}
}  // namespace

uint64_t device_to_host_copies() { return g_d2h.load(std::memory_order_relaxed); }

void CudaBackend::copy_bytes(void* dst, Device dst_dev, const void* src, Device src_dev, size_t nbytes) {
  if (nbytes == 0) return;
  Device on = dst_dev.is_cuda() ? dst_dev : src_dev;
  DeviceGuard g(on);
  cudaMemcpyKind kind = src_dev.is_cpu() ? cudaMemcpyHostToDevice
                        : dst_dev.is_cpu() ? cudaMemcpyDeviceToHost
                                           : cudaMemcpyDeviceToDevice;
  if (kind == cudaMemcpyDeviceToDevice && src_dev.index != dst_dev.index) {
    // Between devices, both streams non-blocking, ordered by events: the copy (on the
    // destination's stream) waits for the work queued on the source's stream (which makes src),
    // and the source's stream waits for the copy before its later work (which may overwrite or
    // free src). The host does not wait.
    cudaStream_t src_stream = nullptr;
    std::unique_ptr<Event> made;
    {
      DeviceGuard gs(src_dev);
      src_stream = stream();
      made = std::make_unique<Event>();
      DIEN_CUDA_CHECK("copy", cudaEventRecord(made->e, src_stream));
    }
    DIEN_CUDA_CHECK("copy", cudaStreamWaitEvent(stream(), made->e, 0));
    DIEN_CUDA_CHECK("copy", cudaMemcpyPeerAsync(dst, dst_dev.index, src, src_dev.index, nbytes, stream()));
    Event copied;
    DIEN_CUDA_CHECK("copy", cudaEventRecord(copied.e, stream()));
    DeviceGuard gs(src_dev);
    DIEN_CUDA_CHECK("copy", cudaStreamWaitEvent(src_stream, copied.e, 0));
    return;
  }
  if (kind == cudaMemcpyDeviceToHost) g_d2h.fetch_add(1, std::memory_order_relaxed);
  DIEN_CUDA_CHECK("copy", cudaMemcpyAsync(dst, src, nbytes, kind, stream()));
  if (kind == cudaMemcpyDeviceToHost || (kind == cudaMemcpyHostToDevice && page_locked(src)))
    DIEN_CUDA_CHECK("copy", cudaStreamSynchronize(stream()));
}

}  // namespace dien::cuda
