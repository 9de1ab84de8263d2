// SPDX-License-Identifier: MIT
// The count of kernel launches (check.h: DIEN_LAUNCH_CHECK and the cuBLAS GEMM calls count them).
#include "kernels/cuda/check.h"
#include "kernels/cuda/cuda_runtime_api.h"

namespace dien::cuda {

std::atomic<uint64_t> g_kernel_launches{0};

uint64_t kernel_launches() { return g_kernel_launches.load(std::memory_order_relaxed); }

}  // namespace dien::cuda
