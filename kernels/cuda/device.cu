// SPDX-License-Identifier: MIT
// Device queries. Without a GPU or driver, cudaGetDeviceCount fails ("CUDA driver version is
// insufficient ...", "no CUDA-capable device"): that is reported as zero devices.
#include <cuda_runtime.h>

#include "kernels/cuda/cuda_runtime_api.h"

namespace dien::cuda {

int device_count() {
  int n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error state
    return 0;
  }
  return n;
}

}  // namespace dien::cuda
