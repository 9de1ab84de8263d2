// SPDX-License-Identifier: MIT
// CPU elementwise loss kernels: binary cross-entropy on probabilities (clamped) and on logits
// (the stable log-sum-exp form), forward and backward side by side. Reductions (mean/sum) are
// done by the autograd op with the differentiable reduce ops.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/cpu_util.h"

namespace dien::cpu {

namespace {

template <class T>
inline T sigmoid(T x) {
  if (x >= 0) return T(1) / (T(1) + std::exp(-x));
  T e = std::exp(x);
  return e / (T(1) + e);
}

}  // namespace

// p, t, l: same shape. pc = clamp(p, eps, 1-eps); l = -(t log pc + (1-t) log(1-pc)).
void CpuBackend::bce_forward(const Tensor& p, const Tensor& t, double eps, Tensor& l) {
  dispatch_float(p.dtype(), "bce_forward", [&](auto tag) {
    using T = decltype(tag);
    const T* pp = p.data<T>();
    const T* tp = t.data<T>();
    T* lp = l.data<T>();
    const T lo = static_cast<T>(eps), hi = static_cast<T>(1.0 - eps);
    parallel_for(p.numel(), kParallelGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        T pc = std::clamp(pp[i], lo, hi);
        lp[i] = -(tp[i] * std::log(pc) + (T(1) - tp[i]) * std::log1p(-pc));
      }
    });
  });
}

// p, t, gl, gp: same shape. gp = gl (p - t) / (p (1 - p)) where eps <= p <= 1-eps, else 0
// (the clamp is flat there). Overwrites gp.
void CpuBackend::bce_backward(const Tensor& p, const Tensor& t, double eps, const Tensor& gl, Tensor& gp) {
  dispatch_float(p.dtype(), "bce_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* pp = p.data<T>();
    const T* tp = t.data<T>();
    const T* g = gl.data<T>();
    T* o = gp.data<T>();
    const T lo = static_cast<T>(eps), hi = static_cast<T>(1.0 - eps);
    parallel_for(p.numel(), kParallelGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        T pv = pp[i];
        o[i] = (pv < lo || pv > hi) ? T(0) : g[i] * (pv - tp[i]) / (pv * (T(1) - pv));
      }
    });
  });
}

// x, t, l: same shape. l = max(x, 0) - x t + log(1 + exp(-|x|)) (never overflows).
void CpuBackend::bce_logits_forward(const Tensor& x, const Tensor& t, Tensor& l) {
  dispatch_float(x.dtype(), "bce_logits_forward", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    const T* tp = t.data<T>();
    T* lp = l.data<T>();
    parallel_for(x.numel(), kParallelGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        T v = xp[i];
        lp[i] = std::max(v, T(0)) - v * tp[i] + std::log1p(std::exp(-std::fabs(v)));
      }
    });
  });
}

// x, t, gl, gx: same shape. gx = gl (sigmoid(x) - t). Overwrites gx.
void CpuBackend::bce_logits_backward(const Tensor& x, const Tensor& t, const Tensor& gl, Tensor& gx) {
  dispatch_float(x.dtype(), "bce_logits_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    const T* tp = t.data<T>();
    const T* g = gl.data<T>();
    T* o = gx.data<T>();
    parallel_for(x.numel(), kParallelGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = g[i] * (sigmoid(xp[i]) - tp[i]);
    });
  });
}

}  // namespace dien::cpu
