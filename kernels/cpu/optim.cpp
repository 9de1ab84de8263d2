// SPDX-License-Identifier: MIT
// Optimizer update kernels (SGD, Adam, Adagrad, RMSprop), elementwise over one parameter.
// Each follows the single-tensor ("foreach=False") path of torch.optim with its defaults
// (maximize=False, amsgrad=False, centered=False) and the operand order of ATen's scalar
// kernels (add with alpha: a + alpha*b; addcmul: a + (s*b)*c; addcdiv: a + (s*b)/c; lerp as in
// ATen's Lerp.h). Scalar factors (bias corrections, step sizes) are computed in double, as
// PyTorch does in Python, and applied in the parameter's dtype.
#include <cmath>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/cpu_util.h"

namespace dien::cpu {

namespace {
// Elements per thread below which an update stays serial.
constexpr int64_t kOptimGrain = 1 << 14;

// ATen's lerp: self + w * (end - self), rewritten around `end` when |w| >= 0.5 for accuracy.
template <class T>
inline T lerp(T self, T end, T w) {
  return std::abs(w) < T(0.5) ? self + w * (end - self) : end - (end - self) * (T(1) - w);
}
}  // namespace

// d = g + wd * p
// buf = first ? d : momentum * buf + (1 - dampening) * d       (when momentum != 0)
// d = nesterov ? d + momentum * buf : buf                       (when momentum != 0)
// p -= lr * d
void CpuBackend::sgd_step(Tensor& param, const Tensor& grad, Tensor* momentum_buf, double lr,
                          double momentum, double dampening, bool nesterov, double weight_decay,
                          bool first_step) {
  dispatch_float(param.dtype(), "sgd_step", [&](auto tag) {
    using T = decltype(tag);
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    T* buf = momentum != 0 ? momentum_buf->data<T>() : nullptr;
    const T wd = static_cast<T>(weight_decay), mom = static_cast<T>(momentum),
            damp = static_cast<T>(1 - dampening), neg_lr = static_cast<T>(-lr);
    const bool use_wd = weight_decay != 0;
    parallel_for(param.numel(), kOptimGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        T d = use_wd ? g[i] + wd * p[i] : g[i];
        if (buf) {
          buf[i] = first_step ? d : buf[i] * mom + damp * d;
          d = nesterov ? d + mom * buf[i] : buf[i];
        }
        p[i] = p[i] + neg_lr * d;
      }
    });
  });
}

// g = g + wd * p
// m = beta1 * m + (1 - beta1) * g  (as lerp(m, g, 1 - beta1));  v = beta2 * v + (1 - beta2) * g^2
// p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// Adam's constants for step t, and its update of n elements (p, m, v in place, gradient g): one
// body for the dense step and the lazy row step, so a touched row changes by the same bits.
template <class T>
struct AdamRule {
  T neg_step_size, bc2_sqrt, wd, b2, one_b1, one_b2, e_;
  bool use_wd;
  AdamRule(int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay) {
    const double t = static_cast<double>(step);
    const double bias_correction1 = 1 - std::pow(beta1, t);
    const double bias_correction2 = 1 - std::pow(beta2, t);
    neg_step_size = static_cast<T>(-(lr / bias_correction1));
    bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
    wd = static_cast<T>(weight_decay);
    b2 = static_cast<T>(beta2);
    one_b1 = static_cast<T>(1 - beta1);
    one_b2 = static_cast<T>(1 - beta2);
    e_ = static_cast<T>(eps);
    use_wd = weight_decay != 0;
  }
  void apply(T* p, const T* g, T* m, T* v, int64_t n) const {
    for (int64_t i = 0; i < n; ++i) {
      T gi = use_wd ? g[i] + wd * p[i] : g[i];
      m[i] = lerp(m[i], gi, one_b1);
      v[i] = v[i] * b2 + one_b2 * gi * gi;
      T denom = std::sqrt(v[i]) / bc2_sqrt + e_;
      p[i] = p[i] + neg_step_size * m[i] / denom;
    }
  }
};

void CpuBackend::adam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                           int64_t step, double lr, double beta1, double beta2, double eps,
                           double weight_decay) {
  dispatch_float(param.dtype(), "adam_step", [&](auto tag) {
    using T = decltype(tag);
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    T* m = exp_avg.data<T>();
    T* v = exp_avg_sq.data<T>();
    const AdamRule<T> rule(step, lr, beta1, beta2, eps, weight_decay);
    parallel_for(param.numel(), kOptimGrain,
                 [&](int64_t b, int64_t e) { rule.apply(p + b, g + b, m + b, v + b, e - b); });
  });
}

// The lazy step in place: the rows are distinct, so they never collide and run on the pool.
void CpuBackend::adam_step_rows(Tensor& param, const Tensor& index, const Tensor& grad_rows, Tensor& exp_avg,
                                Tensor& exp_avg_sq, int64_t step, double lr, double beta1, double beta2, double eps,
                                double weight_decay) {
  dispatch_float(param.dtype(), "adam_step_rows", [&](auto tag) {
    using T = decltype(tag);
    T* p = param.data<T>();
    const T* g = grad_rows.data<T>();
    T* m = exp_avg.data<T>();
    T* v = exp_avg_sq.data<T>();
    const int64_t* id = index.data<int64_t>();
    const int64_t k = index.numel(), E = param.numel() / std::max<int64_t>(param.size(0), 1);
    const AdamRule<T> rule(step, lr, beta1, beta2, eps, weight_decay);
    parallel_for(k, std::max<int64_t>(1, kOptimGrain / std::max<int64_t>(E, 1)), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        if (i + 8 < e) {  // the rows are scattered over tables far larger than the cache
          const int64_t q = id[i + 8] * E;
          for (int64_t c = 0; c < E; c += 64 / static_cast<int64_t>(sizeof(T))) {
            __builtin_prefetch(p + q + c, 1, 3);
            __builtin_prefetch(m + q + c, 1, 3);
            __builtin_prefetch(v + q + c, 1, 3);
          }
          __builtin_prefetch(p + q + E - 1, 1, 3);
          __builtin_prefetch(m + q + E - 1, 1, 3);
          __builtin_prefetch(v + q + E - 1, 1, 3);
        }
        const int64_t o = id[i] * E;
        rule.apply(p + o, g + i * E, m + o, v + o, E);
      }
    });
  });
}

// g = g + wd * p;  clr = lr / (1 + (t - 1) * lr_decay)
// s += g^2;  p -= clr * g / (sqrt(s) + eps)
void CpuBackend::adagrad_step(Tensor& param, const Tensor& grad, Tensor& sum_sq, int64_t step,
                              double lr, double lr_decay, double eps, double weight_decay) {
  dispatch_float(param.dtype(), "adagrad_step", [&](auto tag) {
    using T = decltype(tag);
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    T* s = sum_sq.data<T>();
    const double clr = lr / (1 + static_cast<double>(step - 1) * lr_decay);
    const T neg_clr = static_cast<T>(-clr), wd = static_cast<T>(weight_decay), e_ = static_cast<T>(eps);
    const bool use_wd = weight_decay != 0;
    parallel_for(param.numel(), kOptimGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        T gi = use_wd ? g[i] + wd * p[i] : g[i];
        s[i] = s[i] + gi * gi;
        T std_ = std::sqrt(s[i]) + e_;
        p[i] = p[i] + neg_clr * gi / std_;
      }
    });
  });
}

// g = g + wd * p;  a = alpha * a + (1 - alpha) * g^2;  avg = sqrt(a) + eps
// momentum > 0: buf = momentum * buf + g / avg;  p -= lr * buf
// otherwise:    p -= lr * g / avg
void CpuBackend::rmsprop_step(Tensor& param, const Tensor& grad, Tensor& square_avg,
                              Tensor* momentum_buf, double lr, double alpha, double eps,
                              double momentum, double weight_decay) {
  dispatch_float(param.dtype(), "rmsprop_step", [&](auto tag) {
    using T = decltype(tag);
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    T* a = square_avg.data<T>();
    T* buf = momentum > 0 ? momentum_buf->data<T>() : nullptr;
    const T wd = static_cast<T>(weight_decay), al = static_cast<T>(alpha),
            one_al = static_cast<T>(1 - alpha), e_ = static_cast<T>(eps),
            mom = static_cast<T>(momentum), neg_lr = static_cast<T>(-lr);
    const bool use_wd = weight_decay != 0;
    parallel_for(param.numel(), kOptimGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        T gi = use_wd ? g[i] + wd * p[i] : g[i];
        a[i] = a[i] * al + one_al * gi * gi;
        T avg = std::sqrt(a[i]) + e_;
        if (buf) {
          buf[i] = buf[i] * mom + gi / avg;
          p[i] = p[i] + neg_lr * buf[i];
        } else {
          p[i] = p[i] + neg_lr * gi / avg;
        }
      }
    });
  });
}

}  // namespace dien::cpu
