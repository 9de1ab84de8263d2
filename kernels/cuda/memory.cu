// SPDX-License-Identifier: MIT
// CUDA backend memory: allocation through the caching allocator, and copies between host and
// device. Copies are ordered on the device's stream; a copy that touches host memory waits for
// completion before returning (the host buffer may be reused or freed right after).
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

void* device_allocate(size_t nbytes, int dev);  // caching_allocator.cu
void device_free(void* ptr, int dev);

void* CudaBackend::allocate(size_t nbytes, Device device) {
  DeviceGuard g(device);
  return device_allocate(nbytes, device.index);
}

void CudaBackend::deallocate(void* p, Device device) { device_free(p, device.index); }

void CudaBackend::copy_bytes(void* dst, Device dst_dev, const void* src, Device src_dev, size_t nbytes) {
  if (nbytes == 0) return;
  Device on = dst_dev.is_cuda() ? dst_dev : src_dev;
  DeviceGuard g(on);
  cudaMemcpyKind kind = src_dev.is_cpu() ? cudaMemcpyHostToDevice
                        : dst_dev.is_cpu() ? cudaMemcpyDeviceToHost
                                           : cudaMemcpyDeviceToDevice;
  if (kind == cudaMemcpyDeviceToDevice && src_dev.index != dst_dev.index) {
    DIEN_CUDA_CHECK("copy", cudaStreamSynchronize(stream()));
    DIEN_CUDA_CHECK("copy", cudaMemcpyPeer(dst, dst_dev.index, src, src_dev.index, nbytes));
    return;
  }
  DIEN_CUDA_CHECK("copy", cudaMemcpyAsync(dst, src, nbytes, kind, stream()));
  if (kind != cudaMemcpyDeviceToDevice) DIEN_CUDA_CHECK("copy", cudaStreamSynchronize(stream()));
}

}  // namespace dien::cuda
