// SPDX-License-Identifier: MIT
// CPU kernels for activations with learned parameters: PReLU over the last dimension
// (forward and backward side by side). Dice is composed in autograd/ops/activation.cpp.
#include <vector>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/cpu_util.h"

namespace dien::cpu {

namespace {

// x [R, C] (all leading dims flattened into R rows), w [C] or [1] (wc = 1 if shared), y [R, C].
template <class T>
void prelu_fwd(const T* x, const T* w, T* y, int64_t rows, int64_t C, int64_t wc) {
  parallel_for(rows, kParallelGrain / (C > 0 ? C : 1) + 1, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* xr = x + r * C;
      T* yr = y + r * C;
      for (int64_t c = 0; c < C; ++c) {
        T wv = w[wc == 1 ? 0 : c];
        yr[c] = xr[c] > T(0) ? xr[c] : wv * xr[c];
      }
    }
  });
}

// gx [R, C] = gy * (x > 0 ? 1 : w) (overwrites); gw [C] or [1] (=|+=) sum of gy * (x > 0 ? 0 : x),
// summed in double over rows (and over channels too when w is shared).
template <class T>
void prelu_bwd(const T* x, const T* w, const T* gy, T* gx, T* gw, int64_t rows, int64_t C, int64_t wc,
               double beta_w) {
  if (gx) {
    parallel_for(rows, kParallelGrain / (C > 0 ? C : 1) + 1, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r)
        for (int64_t c = 0; c < C; ++c) {
          int64_t i = r * C + c;
          gx[i] = x[i] > T(0) ? gy[i] : w[wc == 1 ? 0 : c] * gy[i];
        }
    });
  }
  if (gw) {
    std::vector<double> acc(static_cast<size_t>(wc), 0.0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < C; ++c) {
        int64_t i = r * C + c;
        if (!(x[i] > T(0))) acc[wc == 1 ? 0 : c] += static_cast<double>(gy[i]) * static_cast<double>(x[i]);
      }
    for (int64_t c = 0; c < wc; ++c)
      gw[c] = beta_w == 0.0 ? static_cast<T>(acc[c]) : static_cast<T>(beta_w * gw[c] + acc[c]);
  }
}

}  // namespace

// x [..., C], w [C] or [1], y like x.
void CpuBackend::prelu_forward(const Tensor& x, const Tensor& w, Tensor& y) {
  dispatch_float(x.dtype(), "prelu_forward", [&](auto tag) {
    using T = decltype(tag);
    int64_t C = x.shape().back(), rows = C > 0 ? x.numel() / C : 0;
    prelu_fwd<T>(x.data<T>(), w.data<T>(), y.data<T>(), rows, C, w.numel());
  });
}

// x, gy, gx [..., C]; w, gw [C] or [1]. gx/gw may be null.
void CpuBackend::prelu_backward(const Tensor& x, const Tensor& w, const Tensor& gy, Tensor* gx, Tensor* gw,
                                double beta_w) {
  dispatch_float(x.dtype(), "prelu_backward", [&](auto tag) {
    using T = decltype(tag);
    int64_t C = x.shape().back(), rows = C > 0 ? x.numel() / C : 0;
    prelu_bwd<T>(x.data<T>(), w.data<T>(), gy.data<T>(), gx ? gx->data<T>() : nullptr,
                 gw ? gw->data<T>() : nullptr, rows, C, w.numel(), beta_w);
  });
}

}  // namespace dien::cpu
