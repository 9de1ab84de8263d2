// SPDX-License-Identifier: MIT
// CPU memory, fill, cast, axpy and scale_shift.
#include <algorithm>
#include <cstring>

#include "core/allocator_cpu.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/cpu_util.h"

namespace dien::cpu {

void* CpuBackend::allocate(size_t nbytes, Device) { return aligned_alloc_bytes(nbytes); }
void CpuBackend::deallocate(void* p, Device) { aligned_free(p); }

void CpuBackend::copy_bytes(void* dst, Device dst_dev, const void* src, Device src_dev, size_t nbytes) {
  if (!dst_dev.is_cpu() || !src_dev.is_cpu())
    fail("copy", "the CPU backend cannot copy from ", src_dev.str(), " to ", dst_dev.str());
  if (nbytes) std::memmove(dst, src, nbytes);
}

void CpuBackend::fill(Tensor& t, double value) {
  dispatch_all(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = static_cast<T*>(t.raw_data());
    const T v = static_cast<T>(value);
    parallel_for(t.numel(), kParallelGrain * 4, [&](int64_t b, int64_t e) { std::fill(p + b, p + e, v); });
  });
}

void CpuBackend::cast(const Tensor& src, Tensor& dst) {
  dispatch_all(src.dtype(), [&](auto stag) {
    using S = decltype(stag);
    dispatch_all(dst.dtype(), [&](auto dtag) {
      using D = decltype(dtag);
      const S* s = static_cast<const S*>(src.raw_data());
      D* d = static_cast<D*>(dst.raw_data());
      for (int64_t i = 0, n = src.numel(); i < n; ++i) d[i] = static_cast<D>(s[i]);
    });
  });
}

void CpuBackend::axpy(double alpha, const Tensor& x, Tensor& y) {
  dispatch_float(y.dtype(), "axpy", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    T a = static_cast<T>(alpha);
    parallel_for(y.numel(), kParallelGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) yp[i] += a * xp[i];
    });
  });
}

void CpuBackend::scale_shift(const Tensor& x, double alpha, double beta, Tensor& y) {
  dispatch_float(y.dtype(), "scale_shift", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    T a = static_cast<T>(alpha), c = static_cast<T>(beta);
    parallel_for(y.numel(), kParallelGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) yp[i] = a * xp[i] + c;
    });
  });
}

}  // namespace dien::cpu
