// SPDX-License-Identifier: MIT
// The caching allocator: freed blocks go to a per-device free list and are reused for later
// requests of similar size, so steady-state training makes no cudaMalloc/cudaFree calls.
// All dien work on a device runs on that device's one stream, so a block freed by the host
// can be handed out again at once: later work on the same stream is ordered after earlier work.
// Sizes are rounded up to 512 bytes; a cached block serves a request if it is at most twice as
// large (so one huge block is not pinned by a tiny tensor).
#include <cuda_runtime.h>

#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "kernels/cuda/check.h"
#include "kernels/cuda/cuda_runtime_api.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

namespace {

constexpr size_t kRound = 512;

struct DevicePool {
  std::multimap<size_t, void*> free_blocks;       // size -> block
  std::unordered_map<void*, size_t> live_blocks;  // block -> size
  MemoryStats stats;
};

struct Allocator {
  std::mutex mu;
  std::vector<DevicePool> pools;
  bool poison = false;

  DevicePool& pool(int dev) {
    if (static_cast<int>(pools.size()) <= dev) pools.resize(dev + 1);
    return pools[dev];
  }

  void release_cached(DevicePool& p, int dev) {
    if (p.free_blocks.empty()) return;
    int cur = 0;
    cudaGetDevice(&cur);
    cudaSetDevice(dev);
    cudaDeviceSynchronize();
    for (auto& kv : p.free_blocks) cudaFree(kv.second);
    p.free_blocks.clear();
    p.stats.cached_bytes = 0;
    cudaSetDevice(cur);
  }
};

Allocator& allocator() {
  static auto* a = new Allocator();  // leaked on purpose: outlives static tensors
  return *a;
}

}  // namespace

void* device_allocate(size_t nbytes, int dev) {
  Allocator& a = allocator();
  size_t size = (nbytes + kRound - 1) / kRound * kRound;
  if (size == 0) size = kRound;
  std::lock_guard<std::mutex> lock(a.mu);
  DevicePool& p = a.pool(dev);
  p.stats.num_allocs++;
  void* ptr = nullptr;
  auto it = p.free_blocks.lower_bound(size);
  if (it != p.free_blocks.end() && it->first <= 2 * size) {
    size = it->first;
    ptr = it->second;
    p.free_blocks.erase(it);
    p.stats.cached_bytes -= size;
  } else {
    cudaError_t err = cudaMalloc(&ptr, size);
    if (err != cudaSuccess) {
      cudaGetLastError();
      a.release_cached(p, dev);  // give cached blocks back and retry once
      err = cudaMalloc(&ptr, size);
    }
    if (err != cudaSuccess) {
      cudaGetLastError();
      fail("alloc", "out of memory on cuda:", dev, " allocating ", nbytes, " bytes (", p.stats.allocated_bytes,
           " bytes in use by tensors): ", cudaGetErrorString(err));
    }
    p.stats.num_device_mallocs++;
  }
  p.live_blocks[ptr] = size;
  p.stats.allocated_bytes += size;
  if (p.stats.allocated_bytes > p.stats.peak_allocated_bytes) p.stats.peak_allocated_bytes = p.stats.allocated_bytes;
  if (a.poison) DIEN_CUDA_CHECK("alloc", cudaMemsetAsync(ptr, 0xFF, size, stream()));
  return ptr;
}

void device_free(void* ptr, int dev) {
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  DevicePool& p = a.pool(dev);
  auto it = p.live_blocks.find(ptr);
  if (it == p.live_blocks.end()) return;  // not ours (cannot happen through Storage)
  size_t size = it->second;
  p.live_blocks.erase(it);
  p.stats.allocated_bytes -= size;
  p.stats.cached_bytes += size;
  p.free_blocks.emplace(size, ptr);
}

MemoryStats memory_stats(int dev) {
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  return a.pool(dev).stats;
}

void empty_cache() {
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  for (size_t d = 0; d < a.pools.size(); ++d) a.release_cached(a.pools[d], static_cast<int>(d));
}

void set_poison_allocations(bool on) {
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  a.poison = on;
}

}  // namespace dien::cuda
