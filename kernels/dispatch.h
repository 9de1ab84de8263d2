// SPDX-License-Identifier: MIT
// backend_for(device) -> the Backend that owns that device's memory and kernels.
#pragma once
#include "kernels/backend.h"

namespace dien {

Backend& backend_for(Device device);
inline Backend& backend_for(const Tensor& t) { return backend_for(t.device()); }

// Number of usable CUDA devices; 0 when built without CUDA or when no GPU/driver is present.
int cuda_device_count();
// Whether this build has the CUDA backend (DIEN_CUDA resolved to ON).
bool cuda_built();

// CUDA memory and switches. In a CPU-only build they do nothing (stats are zero).
struct CudaMemoryStats {
  size_t allocated_bytes = 0;       // handed out to tensors now
  size_t cached_bytes = 0;          // held by the caching allocator, free for reuse
  size_t peak_allocated_bytes = 0;
  uint64_t num_allocs = 0;          // allocations asked of the allocator
  uint64_t num_device_mallocs = 0;  // of which reached cudaMalloc
};
CudaMemoryStats cuda_memory_stats(int device = 0);
void cuda_empty_cache();                    // returns every cached block to the driver
void cuda_synchronize();                    // waits until queued GPU work is done
void cuda_set_allow_tf32(bool on);          // TF32 for f32 GEMMs; off by default (CPU parity)
void cuda_set_poison_allocations(bool on);  // fill new GPU allocations with NaN bytes (tests)
// Deterministic GPU algorithms (sort-based embedding backward instead of atomics).
void set_deterministic(bool on);
// Device-to-host copies the CUDA backend has made (each waits for the GPU); 0 without CUDA.
uint64_t cuda_device_to_host_copies();
// Kernel launches the CUDA backend has made (every <<<...>>> launch and cuBLAS GEMM call); 0
// without CUDA. bench_predict --device cuda reports them per request.
uint64_t cuda_kernel_launches();

}  // namespace dien
