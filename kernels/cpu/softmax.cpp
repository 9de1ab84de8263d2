// SPDX-License-Identifier: MIT
// CPU softmax over the last dimension, optionally masked (nonzero = valid), and its backward.
// Rows are independent and split across threads; sums accumulate in double.
#include <cmath>
#include <limits>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/cpu_util.h"

namespace dien::cpu {

namespace {

// x, y [rows, cols]; mask [rows, cols] of dtype M or null. Stable: subtracts the row max over
// valid entries. Masked entries get 0; a row without valid entries is all 0.
template <class T, class M>
void softmax_rows(const T* x, const M* mask, T* y, int64_t rows, int64_t cols) {
  parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(cols, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const T* xr = x + r * cols;
      const M* mr = mask ? mask + r * cols : nullptr;
      T* yr = y + r * cols;
      auto valid = [&](int64_t j) { return !mr || mr[j] != M(0); };
      T mx = -std::numeric_limits<T>::infinity();
      bool any = false;
      for (int64_t j = 0; j < cols; ++j)
        if (valid(j)) {
          mx = any ? std::max(mx, xr[j]) : xr[j];
          any = true;
        }
      if (!any) {
        for (int64_t j = 0; j < cols; ++j) yr[j] = T(0);
        continue;
      }
      double s = 0;
      for (int64_t j = 0; j < cols; ++j) {
        T e = valid(j) ? std::exp(xr[j] - mx) : T(0);
        yr[j] = e;
        s += e;
      }
      const T inv = static_cast<T>(1.0 / s);
      for (int64_t j = 0; j < cols; ++j) yr[j] *= inv;
    }
  });
}

// gx[r, j] = y[r, j] * (gy[r, j] - sum_k gy[r, k] y[r, k]); all [rows, cols].
template <class T>
void softmax_bwd_rows(const T* y, const T* gy, T* gx, int64_t rows, int64_t cols) {
  parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(cols, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const T* yr = y + r * cols;
      const T* gr = gy + r * cols;
      T* out = gx + r * cols;
      double dot = 0;
      for (int64_t j = 0; j < cols; ++j) dot += static_cast<double>(gr[j]) * yr[j];
      const T d = static_cast<T>(dot);
      for (int64_t j = 0; j < cols; ++j) out[j] = yr[j] * (gr[j] - d);
    }
  });
}

}  // namespace

// x [..., C], mask null or [..., C] of any dtype, y [..., C].
void CpuBackend::softmax_forward(const Tensor& x, const Tensor* mask, Tensor& y) {
  if (x.numel() == 0) return;
  const int64_t cols = x.shape().back(), rows = x.numel() / cols;
  dispatch_float(x.dtype(), "softmax_forward", [&](auto tag) {
    using T = decltype(tag);
    if (!mask) {
      softmax_rows<T, T>(x.data<T>(), nullptr, y.data<T>(), rows, cols);
      return;
    }
    dispatch_all(mask->dtype(), [&](auto mtag) {
      using M = decltype(mtag);
      softmax_rows<T, M>(x.data<T>(), static_cast<const M*>(mask->raw_data()), y.data<T>(), rows, cols);
    });
  });
}

// y, gy, gx [..., C]; overwrites gx.
void CpuBackend::softmax_backward(const Tensor& y, const Tensor& gy, Tensor& gx) {
  if (y.numel() == 0) return;
  const int64_t cols = y.shape().back(), rows = y.numel() / cols;
  dispatch_float(y.dtype(), "softmax_backward", [&](auto tag) {
    using T = decltype(tag);
    softmax_bwd_rows<T>(y.data<T>(), gy.data<T>(), gx.data<T>(), rows, cols);
  });
}

}  // namespace dien::cpu
