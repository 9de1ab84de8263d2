// SPDX-License-Identifier: MIT
// Host emulation of the few CUDA features dien's kernels use, so that the kernels' indexing and
// synchronisation logic can run on a machine without a GPU (tools/cuda_emu/run.sh). Each CUDA thread of a block is a
// host thread (a persistent pool); __syncthreads is a std::barrier over the block, warp shuffles
// and votes go through a per-warp exchange buffer and barrier; blocks run one after another and
// the grid is capped (grid-stride loops cover the rest). cuBLAS gemm is a naive column-major
// reference that also validates the leading dimensions as cuBLAS does.
#pragma once
#include <cuda_runtime.h>
#include <cublas_v2.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <ucontext.h>
#include <vector>

#include "kernels/cuda/check.h"
#undef DIEN_LAUNCH_CHECK
#define DIEN_LAUNCH_CHECK(op)  \
  do {                         \
    ::dien::cuda::count_launch(); \
  } while (0)

namespace emu {

// Cooperative fibers (ucontext) on one OS thread: every CUDA thread of a block is a fiber; a
// barrier wait yields to the scheduler until all participants arrived. Cheap (no futexes), and a
// barrier that not every participant reaches shows up as a hang.
struct Fiber {
  ucontext_t ctx;
  std::vector<char> stack = std::vector<char>(256 * 1024);
  bool done = false;
  uint3 tid;
};
inline ucontext_t g_sched;
inline std::vector<std::unique_ptr<Fiber>> g_fibers;
inline int g_cur = 0;
inline uint3 bid;
inline dim3 bdim, gdim;
inline std::function<void(int)> g_job;

inline uint3& cur_tid() { return g_fibers[g_cur]->tid; }
inline void yield() { swapcontext(&g_fibers[g_cur]->ctx, &g_sched); }

struct Barrier {
  int n = 0, count = 0;
  uint64_t gen = 0;
  void wait() {
    const uint64_t g = gen;
    if (++count == n) {
      count = 0;
      ++gen;
      return;
    }
    while (gen == g) yield();
  }
};
struct WarpX {
  Barrier bar{32};
  alignas(8) unsigned char buf[32][8];
  int vote[32];
};
inline Barrier g_block_bar;
inline std::vector<WarpX> g_warps;

inline int linear_tid() {
  const uint3& t = cur_tid();
  return t.x + t.y * bdim.x + t.z * bdim.x * bdim.y;
}
inline void syncthreads() { g_block_bar.wait(); }

template <class T>
T shfl_xor(unsigned mask, T v, int o) {
  static_assert(sizeof(T) <= 8);
  if (mask != 0xffffffffu) std::abort();
  const int t = linear_tid(), lane = t % 32;
  WarpX& w = g_warps[t / 32];
  std::memcpy(w.buf[lane], &v, sizeof(T));
  w.bar.wait();
  T r;
  std::memcpy(&r, w.buf[lane ^ o], sizeof(T));
  w.bar.wait();
  return r;
}

inline bool any_sync(unsigned mask, int p) {
  if (mask != 0xffffffffu) std::abort();
  const int t = linear_tid(), lane = t % 32;
  WarpX& w = g_warps[t / 32];
  w.vote[lane] = p != 0;
  w.bar.wait();
  bool any = false;
  for (int i = 0; i < 32; ++i) any = any || w.vote[i];
  w.bar.wait();
  return any;
}

inline void trampoline() {
  g_job(g_cur);
  g_fibers[g_cur]->done = true;
}  // returns to g_sched through uc_link

// EMU_BLOCKS: the cap on a 1-D grid (default 2); 0: no cap (kernels that are not grid-stride
// loops, e.g. one block per row group for a whole scan, need their whole grid).
inline unsigned max_blocks() {
  const char* e = std::getenv("EMU_BLOCKS");
  if (!e) return 2u;
  const unsigned n = static_cast<unsigned>(std::atoi(e));
  return n == 0 ? ~0u : n;
}

// The <<<grid, block[, shared bytes[, stream]]>>> configuration.
struct Config {
  dim3 grid, block;
  size_t smem;
  Config(dim3 g, dim3 b, size_t sm = 0, cudaStream_t = nullptr) : grid(g), block(b), smem(sm) {}
};

// A launch's dynamic shared memory (extern __shared__ arrays, rewritten by prep.py): one buffer,
// NaN-poisoned (0xFF bytes) before each block, which runs alone.
inline std::vector<double> g_dyn_smem;
inline void* dyn_smem() { return g_dyn_smem.data(); }

// One OS thread runs every fiber, so a read-modify-write is atomic here.
template <class T>
T atomic_add(T* p, T v) {
  T old = *p;
  *p = old + v;
  return old;
}

template <class... P, class... A>
void launch(void (*k)(P...), Config cfg, A... args) {
  const dim3 grid = cfg.grid, block = cfg.block;
  if (grid.x == 0 || grid.y == 0 || grid.z == 0) std::abort();
  const int nt = static_cast<int>(block.x * block.y * block.z);
  if (nt <= 0 || nt > 1024 || nt % 32 != 0) std::abort();  // our kernels use whole warps
  // A 1-D grid is capped (its kernels are grid-stride loops); a 2-D or 3-D grid is a tiling
  // (column_sum.cuh) and runs whole.
  const bool tiled = grid.y != 1 || grid.z != 1;
  const unsigned nb = tiled ? grid.x : std::min(grid.x, max_blocks());
  bdim = block;
  gdim = dim3(nb, grid.y, grid.z);
  while (static_cast<int>(g_fibers.size()) < nt) g_fibers.push_back(std::make_unique<Fiber>());
  g_job = [&](int) { k(static_cast<P>(args)...); };
  g_dyn_smem.assign((cfg.smem + 7) / 8 + 1, 0.0);
  for (unsigned b = 0; b < nb * grid.y * grid.z; ++b) {
    bid = uint3{b % nb, (b / nb) % grid.y, b / (nb * grid.y)};
    std::memset(g_dyn_smem.data(), 0xFF, g_dyn_smem.size() * sizeof(double));
    g_block_bar = Barrier{nt};
    g_warps.assign(nt / 32, WarpX{});
    for (int t = 0; t < nt; ++t) {
      Fiber& f = *g_fibers[t];
      f.done = false;
      f.tid = uint3{t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
      getcontext(&f.ctx);
      f.ctx.uc_stack.ss_sp = f.stack.data();
      f.ctx.uc_stack.ss_size = f.stack.size();
      f.ctx.uc_link = &g_sched;
      makecontext(&f.ctx, trampoline, 0);
    }
    for (int left = nt; left > 0;) {
      left = 0;
      for (int t = 0; t < nt; ++t) {
        if (g_fibers[t]->done) continue;
        g_cur = t;
        swapcontext(&g_sched, &g_fibers[t]->ctx);
        if (!g_fibers[t]->done) ++left;
      }
    }
  }
}

// Column-major reference gemm with cuBLAS's argument checks.
template <class T>
cublasStatus_t gemm_ref(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const T* alpha, const T* A,
                        int lda, const T* B, int ldb, const T* beta, T* C, int ldc) {
  if (m < 0 || n < 0 || k < 0) return CUBLAS_STATUS_INVALID_VALUE;
  if (lda < std::max(1, ta == CUBLAS_OP_N ? m : k)) return CUBLAS_STATUS_INVALID_VALUE;
  if (ldb < std::max(1, tb == CUBLAS_OP_N ? k : n)) return CUBLAS_STATUS_INVALID_VALUE;
  if (ldc < std::max(1, m)) return CUBLAS_STATUS_INVALID_VALUE;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      double acc = 0;  // (more exact than any float order: the reference for both sides)
      for (int p = 0; p < k; ++p) {
        T a = ta == CUBLAS_OP_N ? A[i + int64_t(p) * lda] : A[p + int64_t(i) * lda];
        T b = tb == CUBLAS_OP_N ? B[p + int64_t(j) * ldb] : B[j + int64_t(p) * ldb];
        acc += static_cast<double>(a) * static_cast<double>(b);
      }
      T& c = C[i + int64_t(j) * ldc];
      c = *beta == T(0) ? static_cast<T>(*alpha * acc) : static_cast<T>(*alpha * acc + *beta * c);
    }
  return CUBLAS_STATUS_SUCCESS;
}
template <class T>
cublasStatus_t gemm_sb(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                       const T* alpha, const T* A, int lda, long long sa, const T* B, int ldb, long long sb,
                       const T* beta, T* C, int ldc, long long sc, int batch) {
  if (batch < 0) return CUBLAS_STATUS_INVALID_VALUE;
  for (int i = 0; i < batch; ++i) {
    auto st = gemm_ref<T>(ta, tb, m, n, k, alpha, A + i * sa, lda, B + i * sb, ldb, beta, C + i * sc, ldc);
    if (st != CUBLAS_STATUS_SUCCESS) return st;
  }
  return CUBLAS_STATUS_SUCCESS;
}
// y = op(A) x, column-major A [m, n] (lda), op N only (what the scans call), unit strides.
template <class T>
cublasStatus_t gemv(cublasHandle_t, cublasOperation_t ta, int m, int n, const T* alpha, const T* A, int lda,
                    const T* x, int incx, const T* beta, T* y, int incy) {
  if (ta != CUBLAS_OP_N || incx != 1 || incy != 1 || m < 0 || n < 0 || lda < std::max(1, m))
    return CUBLAS_STATUS_INVALID_VALUE;
  for (int i = 0; i < m; ++i) {
    T acc = 0;
    for (int j = 0; j < n; ++j) acc += A[i + int64_t(j) * lda] * x[j];
    y[i] = *beta == T(0) ? *alpha * acc : *alpha * acc + *beta * y[i];
  }
  return CUBLAS_STATUS_SUCCESS;
}

// The device: one GPU with an H100's SM count and shared-memory limits.
inline cudaError_t get_device(int* d) {
  *d = 0;
  return cudaSuccess;
}
inline cudaError_t device_attribute(int* v, cudaDeviceAttr a, int) {
  switch (a) {
    case cudaDevAttrMultiProcessorCount: *v = 132; break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *v = 232448; break;
    case cudaDevAttrMaxSharedMemoryPerMultiprocessor: *v = 233472; break;
    default: return cudaErrorInvalidValue;
  }
  return cudaSuccess;
}
inline cudaError_t memset_async(void* p, int v, size_t n, cudaStream_t = nullptr) {
  std::memset(p, v, n);
  return cudaSuccess;
}

template <class T>
cublasStatus_t gemm(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const T* alpha,
                    const T* A, int lda, const T* B, int ldb, const T* beta, T* C, int ldc) {
  return gemm_ref<T>(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace emu

// CUB's radix sort of (key, value) pairs: stable, ascending over the key bits [begin, end) (the
// callers sort whole keys, so a stable sort by key is the same order).
namespace cub {
struct DeviceRadixSort {
  template <class K, class V>
  static cudaError_t SortPairs(void* temp, size_t& temp_bytes, const K* keys_in, K* keys_out, const V* values_in,
                               V* values_out, int n, int = 0, int = int(sizeof(K) * 8), cudaStream_t = nullptr) {
    if (!temp) {
      temp_bytes = 8;
      return cudaSuccess;
    }
    std::vector<int> order(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return keys_in[a] < keys_in[b]; });
    std::vector<K> k(static_cast<size_t>(n));
    std::vector<V> v(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      k[static_cast<size_t>(i)] = keys_in[order[static_cast<size_t>(i)]];
      v[static_cast<size_t>(i)] = values_in[order[static_cast<size_t>(i)]];
    }
    std::copy(k.begin(), k.end(), keys_out);
    std::copy(v.begin(), v.end(), values_out);
    return cudaSuccess;
  }
};
}  // namespace cub

// The device math library's min / max overloads (float, double, integers).
inline float min(float a, float b) { return std::fmin(a, b); }
inline float max(float a, float b) { return std::fmax(a, b); }
inline double min(double a, double b) { return std::fmin(a, b); }
inline double max(double a, double b) { return std::fmax(a, b); }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a < b ? b : a; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a < b ? b : a; }
inline long min(long a, long b) { return a < b ? a : b; }
inline long max(long a, long b) { return a < b ? b : a; }

#undef __global__
#define __global__
#undef __device__
#define __device__
#undef __host__
#define __host__
#undef __shared__
#define __shared__ static
#define threadIdx (::emu::cur_tid())
#define blockIdx (::emu::bid)
#define blockDim (::emu::bdim)
#define gridDim (::emu::gdim)
#define __syncthreads() ::emu::syncthreads()
#define __shfl_xor_sync(m, v, o) ::emu::shfl_xor((m), (v), (o))
#define __any_sync(m, p) ::emu::any_sync((m), (p))
#define atomicAdd(p, v) ::emu::atomic_add((p), (v))
#define DeviceGuard EmuDeviceGuard
#define __launch_bounds__(...)
#undef __align__
#define __align__(n) alignas(n)
#define cudaFuncSetAttribute(...) cudaSuccess
#define cudaFuncGetAttributes(attr, k) ((attr)->sharedSizeBytes = 0, cudaSuccess)
#define cudaGetDevice ::emu::get_device
#define cudaDeviceGetAttribute ::emu::device_attribute
#define cudaMemsetAsync ::emu::memset_async
#undef cublasSgemv
#undef cublasDgemv
#define cublasSgemv ::emu::gemv<float>
#define cublasDgemv ::emu::gemv<double>
#define cublas emu_cublas
#undef cublasSgemm
#undef cublasDgemm
#define cublasSgemm ::emu::gemm<float>
#define cublasDgemm ::emu::gemm<double>
#define cublasSgemmStridedBatched ::emu::gemm_sb<float>
#define cublasDgemmStridedBatched ::emu::gemm_sb<double>
