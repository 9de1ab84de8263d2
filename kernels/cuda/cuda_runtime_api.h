// SPDX-License-Identifier: MIT
// Host-side CUDA services that the rest of dien may call; no CUDA header leaks out of here.
// Public wrappers that also exist in CPU-only builds are in kernels/dispatch.h.
#pragma once
#include <cstddef>
#include <cstdint>

namespace dien::cuda {

// Number of CUDA devices usable now; 0 when the driver is missing or too old, or no GPU.
int device_count();

struct MemoryStats {
  size_t allocated_bytes = 0;       // handed out to tensors now
  size_t cached_bytes = 0;          // held by the cache, free for reuse
  size_t peak_allocated_bytes = 0;
  uint64_t num_allocs = 0;          // allocate() calls
  uint64_t num_device_mallocs = 0;  // cudaMalloc calls (0 growth in steady state)
};
MemoryStats memory_stats(int device);
void empty_cache();                 // cudaFree every cached block of every device
void set_poison_allocations(bool on);  // fill each allocation with 0xFF bytes (NaN): tests
void set_allow_tf32(bool on);       // TF32 tensor-core math for f32 GEMMs (off by default)
void synchronize();                 // waits for the current device's stream
void set_deterministic(bool on);    // sort-based, atomic-free embedding backward etc.
// Device-to-host copies made by the CUDA backend since the process started (each one waits for
// the device: what a training step should not do).
uint64_t device_to_host_copies();
// Kernel launches made since the process started: every <<<...>>> launch and every cuBLAS GEMM
// call (launch_count.cu).
uint64_t kernel_launches();

}  // namespace dien::cuda
