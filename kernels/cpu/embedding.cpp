// SPDX-License-Identifier: MIT
// CPU embedding kernels: row gather (forward) and its adjoint, a row scatter-add (backward);
// a row scatter (copy) for lazy optimizer updates.
// Ids are i32 or i64 and were range-checked by autograd/ops/embedding.cpp.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/cpu_util.h"

namespace dien::cpu {

// weight [V, E], ids [n] (any shape, n elements), out [n, E]: out[i, :] = weight[ids[i], :].
void CpuBackend::embedding_forward(const Tensor& weight, const Tensor& ids, Tensor& out) {
  dispatch_float(weight.dtype(), "embedding_forward", [&](auto tag) {
    using T = decltype(tag);
    dispatch_index(ids.dtype(), "embedding_forward", [&](auto itag) {
      using I = decltype(itag);
      const T* w = weight.data<T>();
      const I* id = ids.data<I>();
      T* o = out.data<T>();
      const int64_t n = ids.numel(), E = weight.shape()[1];
      parallel_for(n, kParallelGrain / (E > 0 ? E : 1) + 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          if (i + 8 < e) {  // rows of a large table are cache misses: ask for one 8 rows ahead
            const T* q = w + static_cast<int64_t>(id[i + 8]) * E;
            for (int64_t c = 0; c < E; c += 64 / static_cast<int64_t>(sizeof(T))) __builtin_prefetch(q + c, 0, 3);
            if (E > 0) __builtin_prefetch(q + E - 1, 0, 3);
          }
          std::copy(w + static_cast<int64_t>(id[i]) * E, w + static_cast<int64_t>(id[i]) * E + E, o + i * E);
        }
      });
    });
  });
}

// gy [n, E], ids [n], gw [V, E]: gw[ids[i], :] += gy[i, :] for every i (repeated ids add up).
// Two rows with the same id must not race: threads own ranges of gw's rows (below).
void CpuBackend::embedding_backward(const Tensor& gy, const Tensor& ids, Tensor& gw) {
  dispatch_float(gw.dtype(), "embedding_backward", [&](auto tag) {
    using T = decltype(tag);
    dispatch_index(ids.dtype(), "embedding_backward", [&](auto itag) {
      using I = decltype(itag);
      const T* g = gy.data<T>();
      const I* id = ids.data<I>();
      T* w = gw.data<T>();
      const int64_t n = ids.numel(), E = gw.shape()[1], V = gw.shape()[0];
      // Each thread owns a range of the table's rows and adds, in position order, the positions
      // whose id falls in it: every row's sum keeps the serial order whatever the thread count.
      const int parts = n * E >= kParallelGrain ? std::max(1, num_threads()) : 1;
      parallel_run(parts, 1, parts, [&](int64_t p0, int64_t p1) {
        const int64_t lo = V * p0 / parts, hi = V * p1 / parts;
        for (int64_t i = 0; i < n; ++i) {
          const int64_t r = static_cast<int64_t>(id[i]);
          if (r < lo || r >= hi) continue;
          T* row = w + r * E;
          const T* gr = g + i * E;
          for (int64_t k = 0; k < E; ++k) row[k] += gr[k];
        }
      });
    });
  });
}

// src [n, E], ids [n] distinct, dst [V, E]: dst[ids[i], :] = src[i, :]. Distinct ids: rows
// never collide, so the copy runs in parallel.
void CpuBackend::embedding_scatter(const Tensor& src, const Tensor& ids, Tensor& dst) {
  dispatch_float(dst.dtype(), "embedding_scatter", [&](auto tag) {
    using T = decltype(tag);
    dispatch_index(ids.dtype(), "embedding_scatter", [&](auto itag) {
      using I = decltype(itag);
      const T* s = src.data<T>();
      const I* id = ids.data<I>();
      T* d = dst.data<T>();
      const int64_t n = ids.numel(), E = dst.shape()[1];
      parallel_for(n, kParallelGrain / (E > 0 ? E : 1) + 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) std::copy(s + i * E, s + i * E + E, d + static_cast<int64_t>(id[i]) * E);
      });
    });
  });
}

// Each row of gw once, on the pool: the row's gradient (through the inverse of ids) or zeros.
void CpuBackend::gather_rows_backward(const Tensor& gy, const Tensor& ids, Tensor& gw) {
  dispatch_float(gw.dtype(), "gather_rows_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* g = gy.data<T>();
    const int64_t* id = ids.data<int64_t>();
    T* w = gw.data<T>();
    const int64_t n = ids.numel(), V = gw.shape()[0], E = gw.shape()[1];
    std::vector<int64_t> inv(static_cast<size_t>(V), -1);
    for (int64_t i = 0; i < n; ++i) inv[static_cast<size_t>(id[i])] = i;
    parallel_for(V, kParallelGrain / (E > 0 ? E : 1) + 1, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const int64_t i = inv[static_cast<size_t>(r)];
        if (i >= 0) std::copy(g + i * E, g + i * E + E, w + r * E);
        else std::fill(w + r * E, w + r * E + E, T(0));
      }
    });
  });
}

}  // namespace dien::cpu
