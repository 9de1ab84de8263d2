// SPDX-License-Identifier: MIT
// CUDA optimizer update kernels (SGD, Adam, Adagrad, RMSprop): one fused elementwise kernel per
// step over one parameter and its state. Twin of kernels/cpu/optim.cpp: the same torch.optim
// single-tensor rules, the same operand order in every expression, and the same scalar
// factors, computed on the host in double and converted to the parameter's dtype exactly as
// the CPU does. (nvcc may contract a*b+c into one FMA where the CPU rounds twice: results agree
// to a few ulps, not bit for bit.)
#include <cmath>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

namespace {

// Why explicit overloads: an f32 kernel must call sqrtf/fabsf (IEEE-rounded like std::sqrt on
// float), never the double versions.
__device__ inline float dev_sqrt(float v) { return ::sqrtf(v); }
__device__ inline double dev_sqrt(double v) { return ::sqrt(v); }
__device__ inline float dev_abs(float v) { return ::fabsf(v); }
__device__ inline double dev_abs(double v) { return ::fabs(v); }

// ATen's lerp: self + w * (end - self), rewritten around `end` when |w| >= 0.5 for accuracy.
template <class T>
__device__ inline T aten_lerp(T self, T end, T w) {
  return dev_abs(w) < T(0.5) ? self + w * (end - self) : end - (end - self) * (T(1) - w);
}

// p, g, buf [n] (buf null when momentum == 0).
// d = g + wd p; buf = first ? d : buf mom + damp d; d = nesterov ? d + mom buf : buf; p += neg_lr d.
template <class T>
__global__ void sgd_kernel(T* p, const T* g, T* buf, int64_t n, T wd, bool use_wd, T mom, T damp, T neg_lr,
                           bool nesterov, bool first_step) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    T d = use_wd ? g[i] + wd * p[i] : g[i];
    if (buf) {
      buf[i] = first_step ? d : buf[i] * mom + damp * d;
      d = nesterov ? d + mom * buf[i] : buf[i];
    }
    p[i] = p[i] + neg_lr * d;
  }
}

// p, g, m, v [n]. g += wd p; m = lerp(m, g, 1 - beta1); v = v beta2 + (1 - beta2) g g;
// p += neg_step_size m / (sqrt(v) / bc2_sqrt + eps).
template <class T>
__global__ void adam_kernel(T* p, const T* g, T* m, T* v, int64_t n, T wd, bool use_wd, T b2, T one_b1, T one_b2,
                            T eps, T neg_step_size, T bc2_sqrt) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const T gi = use_wd ? g[i] + wd * p[i] : g[i];
    m[i] = aten_lerp(m[i], gi, one_b1);
    v[i] = v[i] * b2 + one_b2 * gi * gi;
    const T denom = dev_sqrt(v[i]) / bc2_sqrt + eps;
    p[i] = p[i] + neg_step_size * m[i] / denom;
  }
}

// p, g, s [n]. g += wd p; s += g g; p += neg_clr g / (sqrt(s) + eps).
template <class T>
__global__ void adagrad_kernel(T* p, const T* g, T* s, int64_t n, T wd, bool use_wd, T eps, T neg_clr) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const T gi = use_wd ? g[i] + wd * p[i] : g[i];
    s[i] = s[i] + gi * gi;
    const T std_ = dev_sqrt(s[i]) + eps;
    p[i] = p[i] + neg_clr * gi / std_;
  }
}

// p, g, a, buf [n] (buf null without momentum). g += wd p; a = a alpha + (1 - alpha) g g;
// avg = sqrt(a) + eps; buf = buf mom + g / avg, p += neg_lr buf; or p += neg_lr g / avg.
template <class T>
__global__ void rmsprop_kernel(T* p, const T* g, T* a, T* buf, int64_t n, T wd, bool use_wd, T alpha, T one_alpha,
                               T eps, T mom, T neg_lr) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const T gi = use_wd ? g[i] + wd * p[i] : g[i];
    a[i] = a[i] * alpha + one_alpha * gi * gi;
    const T avg = dev_sqrt(a[i]) + eps;
    if (buf) {
      buf[i] = buf[i] * mom + gi / avg;
      p[i] = p[i] + neg_lr * buf[i];
    } else {
      p[i] = p[i] + neg_lr * gi / avg;
    }
  }
}

}  // namespace

void CudaBackend::sgd_step(Tensor& param, const Tensor& grad, Tensor* momentum_buf, double lr, double momentum,
                           double dampening, bool nesterov, double weight_decay, bool first_step) {
  DeviceGuard g(param.device());
  dispatch_float(param.dtype(), "sgd_step", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = param.numel();
    T* buf = momentum != 0 ? momentum_buf->data<T>() : nullptr;
    const T wd = static_cast<T>(weight_decay), mom = static_cast<T>(momentum),
            damp = static_cast<T>(1 - dampening), neg_lr = static_cast<T>(-lr);
    sgd_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(param.data<T>(), grad.data<T>(), buf, n, wd,
                                                           weight_decay != 0, mom, damp, neg_lr, nesterov, first_step);
    DIEN_LAUNCH_CHECK("sgd_step");
  });
}

void CudaBackend::adam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, int64_t step,
                            double lr, double beta1, double beta2, double eps, double weight_decay) {
  DeviceGuard g(param.device());
  dispatch_float(param.dtype(), "adam_step", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = param.numel();
    const double t = static_cast<double>(step);
    const double bias_correction1 = 1 - std::pow(beta1, t);
    const double bias_correction2 = 1 - std::pow(beta2, t);
    const T neg_step_size = static_cast<T>(-(lr / bias_correction1));
    const T bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
    const T wd = static_cast<T>(weight_decay), b2 = static_cast<T>(beta2), one_b1 = static_cast<T>(1 - beta1),
            one_b2 = static_cast<T>(1 - beta2), e_ = static_cast<T>(eps);
    adam_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(param.data<T>(), grad.data<T>(), exp_avg.data<T>(),
                                                            exp_avg_sq.data<T>(), n, wd, weight_decay != 0, b2, one_b1,
                                                            one_b2, e_, neg_step_size, bc2_sqrt);
    DIEN_LAUNCH_CHECK("adam_step");
  });
}

void CudaBackend::adagrad_step(Tensor& param, const Tensor& grad, Tensor& sum_sq, int64_t step, double lr,
                               double lr_decay, double eps, double weight_decay) {
  DeviceGuard g(param.device());
  dispatch_float(param.dtype(), "adagrad_step", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = param.numel();
    const double clr = lr / (1 + static_cast<double>(step - 1) * lr_decay);
    const T neg_clr = static_cast<T>(-clr), wd = static_cast<T>(weight_decay), e_ = static_cast<T>(eps);
    adagrad_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(param.data<T>(), grad.data<T>(), sum_sq.data<T>(), n,
                                                               wd, weight_decay != 0, e_, neg_clr);
    DIEN_LAUNCH_CHECK("adagrad_step");
  });
}

void CudaBackend::rmsprop_step(Tensor& param, const Tensor& grad, Tensor& square_avg, Tensor* momentum_buf,
                               double lr, double alpha, double eps, double momentum, double weight_decay) {
  DeviceGuard g(param.device());
  dispatch_float(param.dtype(), "rmsprop_step", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = param.numel();
    T* buf = momentum > 0 ? momentum_buf->data<T>() : nullptr;
    const T wd = static_cast<T>(weight_decay), al = static_cast<T>(alpha), one_al = static_cast<T>(1 - alpha),
            e_ = static_cast<T>(eps), mom = static_cast<T>(momentum), neg_lr = static_cast<T>(-lr);
    rmsprop_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(param.data<T>(), grad.data<T>(), square_avg.data<T>(),
                                                               buf, n, wd, weight_decay != 0, al, one_al, e_, mom,
                                                               neg_lr);
    DIEN_LAUNCH_CHECK("rmsprop_step");
  });
}

}  // namespace dien::cuda
