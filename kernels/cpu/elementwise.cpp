// SPDX-License-Identifier: MIT
// CPU elementwise kernels: unary activations (forward and backward side by side), broadcast
// binary arithmetic, and the broadcast pair sum_to (reduce) / expand. float sigmoid and tanh run
// on the vector kernels of the CPU's instruction set (kernels/cpu/isa/); the rest are plain loops
// the compiler vectorises.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/cpu_util.h"
#include "kernels/cpu/isa/kernels.h"

namespace dien::cpu {

namespace {

template <class T>
inline T stable_sigmoid(T x) {
  // Never exponentiates a large positive number.
  if (x >= 0) return T(1) / (T(1) + std::exp(-x));
  T e = std::exp(x);
  return e / (T(1) + e);
}

template <class T>
void unary_fwd(UnaryOp op, const T* x, T* y, int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    if (op == UnaryOp::Sigmoid || op == UnaryOp::Tanh) {  // vectorised (kernels/cpu/isa/)
      const isa::Kernels& k = isa::select_kernels();
      const int kind = op == UnaryOp::Sigmoid ? 0 : 1;
      parallel_for(n, kParallelGrain, [&](int64_t b, int64_t e) { k.sigmoid_tanh(kind, x + b, y + b, e - b); });
      return;
    }
  }
  parallel_for(n, kParallelGrain, [&](int64_t b, int64_t e) {
    switch (op) {
      case UnaryOp::Neg: for (int64_t i = b; i < e; ++i) y[i] = -x[i]; break;
      case UnaryOp::Exp: for (int64_t i = b; i < e; ++i) y[i] = std::exp(x[i]); break;
      case UnaryOp::Log: for (int64_t i = b; i < e; ++i) y[i] = std::log(x[i]); break;
      case UnaryOp::Sigmoid: for (int64_t i = b; i < e; ++i) y[i] = stable_sigmoid(x[i]); break;
      case UnaryOp::Tanh: for (int64_t i = b; i < e; ++i) y[i] = std::tanh(x[i]); break;
      case UnaryOp::Relu: for (int64_t i = b; i < e; ++i) y[i] = x[i] > T(0) ? x[i] : T(0); break;
    }
  });
}

// d/dx: neg -1; exp y; log 1/x; sigmoid y(1-y); tanh 1-y^2; relu [x > 0]. One loop per op and
// beta case, so the compiler vectorises each (a switch per element would keep them scalar). `d(i)`
// reads only the inputs its op needs: the others may be null (an op whose backward needs no x).
template <class T, class D>
void unary_bwd_loop(T* gx, int64_t n, T beta, D d) {
  parallel_for(n, kParallelGrain, [&](int64_t b, int64_t e) {
    if (beta == T(0)) {
      for (int64_t i = b; i < e; ++i) gx[i] = d(i);
    } else {
      for (int64_t i = b; i < e; ++i) gx[i] = beta * gx[i] + d(i);
    }
  });
}

template <class T>
void unary_bwd(UnaryOp op, const T* x, const T* y, const T* gy, T* gx, int64_t n, T beta) {
  switch (op) {
    case UnaryOp::Neg: unary_bwd_loop(gx, n, beta, [=](int64_t i) { return -gy[i]; }); break;
    case UnaryOp::Exp: unary_bwd_loop(gx, n, beta, [=](int64_t i) { return gy[i] * y[i]; }); break;
    case UnaryOp::Log: unary_bwd_loop(gx, n, beta, [=](int64_t i) { return gy[i] / x[i]; }); break;
    case UnaryOp::Sigmoid:
      unary_bwd_loop(gx, n, beta, [=](int64_t i) { return gy[i] * y[i] * (T(1) - y[i]); });
      break;
    case UnaryOp::Tanh: unary_bwd_loop(gx, n, beta, [=](int64_t i) { return gy[i] * (T(1) - y[i] * y[i]); }); break;
    case UnaryOp::Relu: unary_bwd_loop(gx, n, beta, [=](int64_t i) { return x[i] > T(0) ? gy[i] : T(0); }); break;
  }
}

template <class T>
inline T apply_binary(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
  }
  return T(0);
}

template <class T, class F>
void binary_loop(const T* a, const T* b, T* o, int64_t n, int64_t na, int64_t nb, F f) {
  // na/nb: period of each operand over the output's flat index (n: same shape, 1: scalar).
  parallel_for(n, kParallelGrain, [&](int64_t lo, int64_t hi) {
    if (na == n && nb == n) {
      for (int64_t i = lo; i < hi; ++i) o[i] = f(a[i], b[i]);
    } else if (na == n && nb == 1) {
      T s = b[0];
      for (int64_t i = lo; i < hi; ++i) o[i] = f(a[i], s);
    } else if (na == 1 && nb == n) {
      T s = a[0];
      for (int64_t i = lo; i < hi; ++i) o[i] = f(s, b[i]);
    } else {
      // Periodic operands: wrap counters instead of a division per element.
      int64_t ja = lo % na, jb = lo % nb;
      for (int64_t i = lo; i < hi; ++i) {
        o[i] = f(a[ja], b[jb]);
        if (++ja == na) ja = 0;
        if (++jb == nb) jb = 0;
      }
    }
  });
}

// Any broadcast: rows of the output's last (padded 4-D) dim, each a loop over contiguous elements
// where every operand has stride 1 or 0 along that dim (vectorisable), rows split over the pool.
template <class T, class F>
void broadcast_rows(const T* ap, const std::array<int64_t, 4>& sa, const T* bp, const std::array<int64_t, 4>& sb,
                    T* o, const std::array<int64_t, 4>& d, F f) {
  const int64_t rows = d[0] * d[1] * d[2], inner = d[3];
  parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(inner, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t i2 = r % d[2], i1 = (r / d[2]) % d[1], i0 = r / (d[2] * d[1]);
      const T* a = ap + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
      const T* b = bp + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
      T* out = o + r * inner;
      if (sa[3] == 1 && sb[3] == 1) {
        for (int64_t i = 0; i < inner; ++i) out[i] = f(a[i], b[i]);
      } else if (sa[3] == 1) {
        const T y = b[0];
        for (int64_t i = 0; i < inner; ++i) out[i] = f(a[i], y);
      } else if (sb[3] == 1) {
        const T x = a[0];
        for (int64_t i = 0; i < inner; ++i) out[i] = f(x, b[i]);
      } else {
        const T v = f(a[0], b[0]);
        for (int64_t i = 0; i < inner; ++i) out[i] = v;
      }
    }
  });
}

template <class T>
void binary_generic(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  auto d = pad4(out.shape());
  auto sa = bcast_strides(a.shape(), out.shape()), sb = bcast_strides(b.shape(), out.shape());
  const T* ap = a.data<T>();
  const T* bp = b.data<T>();
  T* o = out.data<T>();
  switch (op) {
    case BinaryOp::Add: broadcast_rows<T>(ap, sa, bp, sb, o, d, [](T x, T y) { return x + y; }); break;
    case BinaryOp::Sub: broadcast_rows<T>(ap, sa, bp, sb, o, d, [](T x, T y) { return x - y; }); break;
    case BinaryOp::Mul: broadcast_rows<T>(ap, sa, bp, sb, o, d, [](T x, T y) { return x * y; }); break;
    case BinaryOp::Div: broadcast_rows<T>(ap, sa, bp, sb, o, d, [](T x, T y) { return x / y; }); break;
  }
}

// Σ p[0..n) with `Lanes` independent partial sums (lane k takes the elements i ≡ k mod Lanes),
// added in a fixed tree at the end: the compiler vectorises the lanes, where one running sum is a
// chain of dependent adds (one add latency per element). The order depends on n only.
template <int Lanes, class A, class T>
A lane_sum(const T* p, int64_t n) {
  A a[Lanes] = {};
  int64_t i = 0;
  for (; i + Lanes <= n; i += Lanes)
    for (int k = 0; k < Lanes; ++k) a[k] += static_cast<A>(p[i + k]);
  for (int k = 0; i < n; ++i, ++k) a[k] += static_cast<A>(p[i]);
  for (int w = Lanes / 2; w > 0; w /= 2)
    for (int k = 0; k < w; ++k) a[k] += a[k + w];
  return a[0];
}

}  // namespace

void CpuBackend::unary_forward(UnaryOp op, const Tensor& x, Tensor& y) {
  dispatch_float(x.dtype(), unary_op_name(op), [&](auto tag) {
    using T = decltype(tag);
    unary_fwd<T>(op, x.data<T>(), y.data<T>(), x.numel());
  });
}

void CpuBackend::unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& gy, Tensor& gx,
                                double beta) {
  dispatch_float(gy.dtype(), unary_op_name(op), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.defined() ? x.data<T>() : nullptr;
    const T* yp = y.defined() ? y.data<T>() : nullptr;
    unary_bwd<T>(op, xp, yp, gy.data<T>(), gx.data<T>(), gy.numel(), static_cast<T>(beta));
  });
}

void CpuBackend::binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  dispatch_float(out.dtype(), binary_op_name(op), [&](auto tag) {
    using T = decltype(tag);
    int64_t n = out.numel();
    const Shape& os = out.shape();
    bool fa = is_suffix_of(a.shape(), os), fb = is_suffix_of(b.shape(), os);
    if (fa && fb) {
      const T* ap = a.data<T>();
      const T* bp = b.data<T>();
      T* o = out.data<T>();
      int64_t na = a.numel(), nb = b.numel();
      switch (op) {
        case BinaryOp::Add: binary_loop<T>(ap, bp, o, n, na, nb, [](T x, T y) { return x + y; }); break;
        case BinaryOp::Sub: binary_loop<T>(ap, bp, o, n, na, nb, [](T x, T y) { return x - y; }); break;
        case BinaryOp::Mul: binary_loop<T>(ap, bp, o, n, na, nb, [](T x, T y) { return x * y; }); break;
        case BinaryOp::Div: binary_loop<T>(ap, bp, o, n, na, nb, [](T x, T y) { return x / y; }); break;
      }
    } else {
      binary_generic<T>(op, a, b, out);
    }
  });
}

void CpuBackend::sum_to(const Tensor& x, Tensor& out, double beta) {
  dispatch_float(x.dtype(), "sum_to", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    T* o = out.data<T>();
    int64_t n = x.numel(), no = out.numel();
    T bt = static_cast<T>(beta);
    auto finish = [&](int64_t i, T acc) { o[i] = bt == T(0) ? acc : bt * o[i] + acc; };
    if (no == n) {
      for (int64_t i = 0; i < n; ++i) finish(i, xp[i]);
      return;
    }
    if (is_suffix_of(out.shape(), x.shape())) {
      // Leading dims reduced: column sums over n / no rows.
      // Rows in fixed panels (by shape, not by threads) summed on the pool, then the panels'
      // sums added in order: the same bits whatever the thread count.
      const int64_t rows = no > 0 ? n / no : 0;
      const int64_t panel = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(no, 1));
      const int64_t panels = (rows + panel - 1) / panel;
      if (panel == 1) {
        // Rows as wide as a panel (e.g. [2, n, 100] -> [n, 100]): each row would be a panel of
        // its own, with a double copy of every row. Columns in chunks on the pool instead, each
        // column summed over the rows in order in double: the same sums, no [rows, no] buffer.
        parallel_for(no, kParallelGrain / 8, [&](int64_t j0, int64_t j1) {
          std::vector<double> a(static_cast<size_t>(j1 - j0), 0.0);
          for (int64_t r = 0; r < rows; ++r) {
            const T* row = xp + r * no;
            for (int64_t j = j0; j < j1; ++j) a[static_cast<size_t>(j - j0)] += static_cast<double>(row[j]);
          }
          for (int64_t j = j0; j < j1; ++j) finish(j, static_cast<T>(a[static_cast<size_t>(j - j0)]));
        });
        return;
      }
      std::vector<double> acc(static_cast<size_t>(std::max<int64_t>(panels, 1) * no), 0.0);
      // Every sum runs in double (vectorised: the rows' columns side by side, a whole sum in
      // lanes), as the CUDA kernels' do, so that the two agree to rounding.
      parallel_for(panels, 1, [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
          double* pp = &acc[static_cast<size_t>(p * no)];
          const int64_t r0 = p * panel, r1 = std::min(rows, (p + 1) * panel);
          if (no == 1) {  // a whole sum: the panel is contiguous
            pp[0] = lane_sum<16, double>(xp + r0, r1 - r0);
          } else {
            for (int64_t r = r0; r < r1; ++r) {
              const T* row = xp + r * no;
              for (int64_t j = 0; j < no; ++j) pp[j] += static_cast<double>(row[j]);
            }
          }
        }
      });
      for (int64_t p = 1; p < panels; ++p)
        for (int64_t j = 0; j < no; ++j) acc[j] += acc[static_cast<size_t>(p * no + j)];
      for (int64_t j = 0; j < no; ++j) finish(j, static_cast<T>(acc[j]));
      return;
    }
    auto d = pad4(x.shape());
    auto so = bcast_strides(out.shape(), x.shape());
    // Trailing-dim reduction (row sums) and every other pattern: one pass over x, in rows of the
    // last dim. When the first dim is kept (so[0] != 0), its slices reduce into disjoint parts of
    // acc and run on the pool; each element's sum keeps the serial order.
    std::vector<double> acc(static_cast<size_t>(no), 0.0);
    const int64_t inner = d[3], per0 = d[1] * d[2] * d[3];
    auto slice0 = [&](int64_t i0) {
      const T* x0 = xp + i0 * per0;
      for (int64_t i1 = 0; i1 < d[1]; ++i1)
        for (int64_t i2 = 0; i2 < d[2]; ++i2) {
          const T* row = x0 + (i1 * d[2] + i2) * inner;
          double* a = &acc[static_cast<size_t>(i0 * so[0] + i1 * so[1] + i2 * so[2])];
          if (so[3] == 1) {
            for (int64_t i3 = 0; i3 < inner; ++i3) a[i3] += row[i3];
          } else {
            a[0] += lane_sum<8, double>(row, inner);
          }
        }
    };
    if (so[0] != 0) {
      parallel_for(d[0], std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(per0, 1)), [&](int64_t b0, int64_t b1) {
        for (int64_t i0 = b0; i0 < b1; ++i0) slice0(i0);
      });
    } else {
      for (int64_t i0 = 0; i0 < d[0]; ++i0) slice0(i0);
    }
    for (int64_t j = 0; j < no; ++j) finish(j, static_cast<T>(acc[j]));
  });
}

void CpuBackend::expand(const Tensor& x, Tensor& out) {
  dispatch_float(x.dtype(), "expand", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    T* o = out.data<T>();
    int64_t n = out.numel(), nx = x.numel();
    if (is_suffix_of(x.shape(), out.shape())) {
      if (nx == 0) return;
      // Whole copies of x, one per row of out.
      const int64_t rows = n / nx;
      parallel_for(rows, std::max<int64_t>(1, kParallelGrain / nx), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) std::memcpy(o + r * nx, xp, static_cast<size_t>(nx) * sizeof(T));
      });
      return;
    }
    auto d = pad4(out.shape());
    auto sx = bcast_strides(x.shape(), out.shape());
    int64_t k = 0;
    for (int64_t i0 = 0; i0 < d[0]; ++i0)
      for (int64_t i1 = 0; i1 < d[1]; ++i1)
        for (int64_t i2 = 0; i2 < d[2]; ++i2)
          for (int64_t i3 = 0; i3 < d[3]; ++i3, ++k) o[k] = xp[i0 * sx[0] + i1 * sx[1] + i2 * sx[2] + i3 * sx[3]];
  });
}

}  // namespace dien::cpu
