// SPDX-License-Identifier: MIT
// Error checks for every CUDA runtime call, cuBLAS call and kernel launch. A failure throws
// dien::Error naming the op, the failing call, the CUDA error and file:line, e.g.
//   "gemm: cublasSgemm failed: CUBLAS_STATUS_INVALID_VALUE (kernels/cuda/matmul.cu:57)"
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <atomic>
#include <cstdint>

#include "core/error.h"

namespace dien::cuda {

// Kernel launches so far (launch_count.cu; kernel_launches() in cuda_runtime_api.h): every
// <<<...>>> launch, counted by DIEN_LAUNCH_CHECK, and every cuBLAS GEMM call (count_launch() at
// the call). What a request or a training step costs in launches.
extern std::atomic<uint64_t> g_kernel_launches;
inline void count_launch() { g_kernel_launches.fetch_add(1, std::memory_order_relaxed); }

[[noreturn]] void throw_cuda_error(const char* op, const char* call, cudaError_t err, const char* file, int line);
[[noreturn]] void throw_cublas_error(const char* op, const char* call, cublasStatus_t st, const char* file, int line);

}  // namespace dien::cuda

// DIEN_CUDA_CHECK("op", cudaMemcpy(...));
#define DIEN_CUDA_CHECK(op, call)                                                          \
  do {                                                                                     \
    cudaError_t _e = (call);                                                               \
    if (_e != cudaSuccess) ::dien::cuda::throw_cuda_error(op, #call, _e, __FILE__, __LINE__); \
  } while (0)

// DIEN_CUBLAS_CHECK("op", cublasSgemm(...));
#define DIEN_CUBLAS_CHECK(op, call)                                                              \
  do {                                                                                           \
    cublasStatus_t _s = (call);                                                                  \
    if (_s != CUBLAS_STATUS_SUCCESS) ::dien::cuda::throw_cublas_error(op, #call, _s, __FILE__, __LINE__); \
  } while (0)

// After a <<<...>>> launch: DIEN_LAUNCH_CHECK("op"). Catches bad launch configurations at once;
// asynchronous faults surface at the next synchronising call, which is checked too.
#define DIEN_LAUNCH_CHECK(op)                                                                   \
  do {                                                                                          \
    ::dien::cuda::count_launch();                                                               \
    cudaError_t _e = cudaPeekAtLastError();                                                     \
    if (_e != cudaSuccess) {                                                                    \
      cudaGetLastError();                                                                       \
      ::dien::cuda::throw_cuda_error(op, "kernel launch", _e, __FILE__, __LINE__);              \
    }                                                                                           \
  } while (0)
