// SPDX-License-Identifier: MIT
// CUDA elementwise kernels, the twins of kernels/cpu/elementwise.cpp: unary activations
// (forward and backward side by side), broadcast binary arithmetic, and the broadcast pair
// sum_to (reduce, accumulated in double like the CPU) / expand. Every loop is a grid-stride loop
// over int64 flat indices (index arithmetic in 32 bits where every index fits); shapes have at
// most 4 dims and are handled through launch.cuh's Bcast4.
#include <algorithm>

#include "kernels/cuda/column_sum.cuh"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {

namespace {

// Explicit float/double overloads: the device math library has expf/exp, logf/log, tanhf/tanh;
// naming them per type leaves no doubt about which precision runs (no silent promotion).
__device__ inline float dexp(float x) { return expf(x); }
__device__ inline double dexp(double x) { return ::exp(x); }
__device__ inline float dlog(float x) { return logf(x); }
__device__ inline double dlog(double x) { return ::log(x); }
__device__ inline float dtanh(float x) { return tanhf(x); }
__device__ inline double dtanh(double x) { return ::tanh(x); }

template <class T>
__device__ inline T stable_sigmoid(T x) {
  // Never exponentiates a large positive number (same branches as the CPU).
  if (x >= T(0)) return T(1) / (T(1) + dexp(-x));
  T e = dexp(x);
  return e / (T(1) + e);
}

// ---- unary ---------------------------------------------------------------------
// x, y [n]. `op` is the same for every thread, so the switch is a uniform branch (no divergence);
// one kernel per dtype instead of one per (op, dtype).
template <class T>
__global__ void unary_fwd_kernel(UnaryOp op, const T* x, T* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const T v = x[i];
    T r;
    switch (op) {
      case UnaryOp::Neg: r = -v; break;
      case UnaryOp::Exp: r = dexp(v); break;
      case UnaryOp::Log: r = dlog(v); break;
      case UnaryOp::Sigmoid: r = stable_sigmoid(v); break;
      case UnaryOp::Tanh: r = dtanh(v); break;
      case UnaryOp::Relu: r = v > T(0) ? v : T(0); break;
      default: r = T(0);
    }
    y[i] = r;
  }
}

// d/dx: neg -1; exp y; log 1/x; sigmoid y(1-y); tanh 1-y^2; relu [x > 0].
// x or y may be null (the op saves only the one the derivative reads). gx (=|+=) gy * op'(x);
// beta == 0 never reads gx (it may hold NaN poison).
template <class T>
__global__ void unary_bwd_kernel(UnaryOp op, const T* x, const T* y, const T* gy, T* gx, int64_t n, T beta) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    T d;
    switch (op) {
      case UnaryOp::Neg: d = -gy[i]; break;
      case UnaryOp::Exp: d = gy[i] * y[i]; break;
      case UnaryOp::Log: d = gy[i] / x[i]; break;
      case UnaryOp::Sigmoid: d = gy[i] * y[i] * (T(1) - y[i]); break;
      case UnaryOp::Tanh: d = gy[i] * (T(1) - y[i] * y[i]); break;
      case UnaryOp::Relu: d = x[i] > T(0) ? gy[i] : T(0); break;
      default: d = T(0);
    }
    gx[i] = beta == T(0) ? d : beta * gx[i] + d;
  }
}

// ---- binary --------------------------------------------------------------------
template <class T>
__device__ inline T apply_binary(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
  }
  return T(0);
}

// How an operand is read at output index k: its own index k (same shape as out), element 0
// (one element), k mod its size (1s then out's trailing dims: a bias row), or through the
// broadcast strides. The first three skip bcast_index's divisions on the common paths; all four
// give the same element. I: the index type (uint32_t where every index fits).
enum class Read : int { Full, Scalar, Suffix, Bcast };

template <class I>
__device__ inline I operand_index(Read mode, const Bcast4& b, I size, I k) {
  return mode == Read::Full ? k : mode == Read::Scalar ? I(0) : mode == Read::Suffix ? k % size : bcast_index<I>(b, k);
}

// out [n] = a op b with a, b broadcast to out's shape. out may alias a or b (same shape): each
// thread reads its element(s) before writing that same element, so no other thread's read is
// affected. No __restrict__ here for that reason.
template <class T, class I>
__global__ void binary_kernel(BinaryOp op, const T* a, Read ma, Bcast4 ba, I na, const T* b, Read mb, Bcast4 bb,
                              I nb, T* out, int64_t n) {
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < n; k += int64_t(gridDim.x) * blockDim.x) {
    const I ki = static_cast<I>(k);
    const T va = a[operand_index<I>(ma, ba, na, ki)];
    const T vb = b[operand_index<I>(mb, bb, nb, ki)];
    out[k] = apply_binary(op, va, vb);
  }
}

// ---- sum_to / expand -------------------------------------------------------------
// Splits a flat index over 4 padded dims into per-dim indices.
__device__ inline void unflatten4(int64_t k, const int64_t dims[4], int64_t idx[4]) {
  idx[3] = k % dims[3];
  k /= dims[3];
  idx[2] = k % dims[2];
  k /= dims[2];
  idx[1] = k % dims[1];
  idx[0] = k / dims[1];
}

// x [d0,d1,d2,d3] (padded) reduced to out [o0,o1,o2,o3] with oi == di or oi == 1.
// out_dims: o; red_dims: di where oi == 1 (the reduced dims), else 1; xstride: x's row-major
// strides. Element (out j, reduced r) is x[sum_i (j_i + r_i) * xstride_i]: in each dim at most
// one of j_i, r_i is nonzero.
struct SumToPlan {
  int64_t out_dims[4];
  int64_t red_dims[4];
  int64_t xstride[4];
};

template <class T>
__device__ inline void sum_to_finish(T* o, int64_t j, double acc, T beta) {
  // Same order as the CPU: the double sum is rounded to T first, then combined with out.
  const T a = static_cast<T>(acc);
  o[j] = beta == T(0) ? a : beta * o[j] + a;
}

// One block per output element (grid-stride over outputs by block): the block's threads stride
// over the `nred` reduced elements, accumulate in double (also for f32, as the CPU does, so the
// two agree to rounding), then block_sum. The output loop is uniform across the block, so the
// __syncthreads inside block_sum is reached by every thread. blockDim.x must be a multiple of 32.
template <class T>
__global__ void sum_to_block_kernel(const T* x, SumToPlan p, int64_t no, int64_t nred, T* o, T beta) {
  for (int64_t j = blockIdx.x; j < no; j += gridDim.x) {
    int64_t jo[4];
    unflatten4(j, p.out_dims, jo);
    const int64_t base = jo[0] * p.xstride[0] + jo[1] * p.xstride[1] + jo[2] * p.xstride[2] + jo[3] * p.xstride[3];
    double acc = 0.0;
    for (int64_t r = threadIdx.x; r < nred; r += blockDim.x) {
      int64_t ri[4];
      unflatten4(r, p.red_dims, ri);
      acc += static_cast<double>(
          x[base + ri[0] * p.xstride[0] + ri[1] * p.xstride[1] + ri[2] * p.xstride[2] + ri[3] * p.xstride[3]]);
    }
    acc = block_sum(acc);
    if (threadIdx.x == 0) sum_to_finish(o, j, acc, beta);
  }
}

// Leading dims reduced (out's padded shape is 1s then x's trailing dims), many outputs: x is
// [rows, no] and out is its column sums. One thread per column walks down the rows, so the
// threads of a warp read consecutive addresses (coalesced), which the block kernel's per-output
// walk would not for this layout.
template <class T>
__global__ void sum_to_columns_kernel(const T* x, int64_t rows, int64_t no, T* o, T beta) {
  for (int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; j < no; j += int64_t(gridDim.x) * blockDim.x) {
    double acc = 0.0;
    for (int64_t r = 0; r < rows; ++r) acc += static_cast<double>(x[r * no + j]);
    sum_to_finish(o, j, acc, beta);
  }
}

// Leading dims reduced with few columns or many rows: x [rows, no] summed by column in two stages
// (column_sum.cuh: a warp reads 32 consecutive columns of a row, up to 256 chunks of rows in
// parallel, then each column's chunk sums added in chunk order; a fixed order, no atomics). A
// Linear bias gradient over a batch of rows is this shape: with one block per column it ran on a
// handful of SMs.
template <class T>
struct ElementTerm {  // f(r, c) = x[r, c]
  const T* x;
  int64_t C;
  __device__ double operator()(int64_t r, int64_t c) const { return static_cast<double>(x[r * C + c]); }
};

template <class T>
__global__ void sum_to_columns_finish_kernel(const double* partial, ColumnPlan p, T* o, T beta) {
  for (int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; c < p.C; c += int64_t(gridDim.x) * blockDim.x)
    sum_to_finish(o, c, column_total(partial, p, c), beta);
}

// Everything into one value, in two stages: chunk k = [k per, (k + 1) per) is summed by one block
// (threads strided, then block_sum) into partial[k]; one block then adds the partials. The
// chunking depends on n only: the same order run to run. (Blocks stride over the chunks,
// uniformly per block: a smaller grid gives the same sums.)
template <class T>
__global__ void sum_all_partials_kernel(const T* x, int64_t n, int64_t per, int64_t chunks, double* partial) {
  for (int64_t k = blockIdx.x; k < chunks; k += gridDim.x) {
    const int64_t b0 = k * per, b1 = b0 + per < n ? b0 + per : n;
    double acc = 0.0;
    for (int64_t i = b0 + threadIdx.x; i < b1; i += blockDim.x) acc += static_cast<double>(x[i]);
    acc = block_sum(acc);
    if (threadIdx.x == 0) partial[k] = acc;
  }
}

template <class T>
__global__ void sum_all_finish_kernel(const double* partial, int64_t blocks, T* o, T beta) {
  double acc = 0.0;
  for (int64_t k = threadIdx.x; k < blocks; k += blockDim.x) acc += partial[k];
  acc = block_sum(acc);
  if (threadIdx.x == 0) sum_to_finish(o, 0, acc, beta);
}

// Trailing dims reduced (out is x's leading dims): x [no, inner], one warp per output row, its
// lanes reading consecutive elements (coalesced), then warp_sum. The loop over rows is uniform
// per warp, so every lane reaches the shuffles.
template <class T>
__global__ void sum_to_rows_kernel(const T* x, int64_t no, int64_t inner, T* o, T beta) {
  const int lane = threadIdx.x % 32;
  const int64_t warp = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) / 32;
  const int64_t warps = int64_t(gridDim.x) * blockDim.x / 32;
  for (int64_t j = warp; j < no; j += warps) {
    double acc = 0.0;
    for (int64_t k = lane; k < inner; k += 32) acc += static_cast<double>(x[j * inner + k]);
    acc = warp_sum(acc);
    if (lane == 0) sum_to_finish(o, j, acc, beta);
  }
}

// out [n] = (beta == 0 ? x : beta * out + x), x and out of equal numel (nothing reduced).
template <class T>
__global__ void sum_to_copy_kernel(const T* x, int64_t n, T* o, T beta) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    o[i] = beta == T(0) ? x[i] : beta * o[i] + x[i];
}

// out [n] = x read as binary_kernel reads an operand (mode, bx, nx: x's size).
template <class T, class I>
__global__ void expand_kernel(const T* x, Read mode, Bcast4 bx, I nx, T* out, int64_t n) {
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < n; k += int64_t(gridDim.x) * blockDim.x)
    out[k] = x[operand_index<I>(mode, bx, nx, static_cast<I>(k))];
}

// The shape padded to 4 dims on the left.
void pad4(const Shape& s, int64_t d[4]) {
  for (int i = 0; i < 4; ++i) d[i] = 1;
  for (int i = 0; i < s.size(); ++i) d[4 - s.size() + i] = s[i];
}

// True when `operand` (broadcast to out) is 1s followed by out's trailing dims (the CPU's
// is_suffix_of in kernels/cpu/cpu_util.h).
bool is_suffix_of(const Shape& operand, const Shape& out) {
  int64_t od[4], oo[4];
  pad4(operand, od);
  pad4(out, oo);
  int k = 0;
  while (k < 4 && od[k] == 1) ++k;
  for (int i = k; i < 4; ++i)
    if (od[i] != oo[i]) return false;
  return true;
}

// True when out (reduced from x) keeps x's leading dims and sums the rest: every reduced dim
// comes after every kept one.
bool is_prefix_of(const Shape& out, const Shape& x) {
  int64_t od[4], xd[4];
  pad4(out, od);
  pad4(x, xd);
  bool reducing = false;
  for (int i = 0; i < 4; ++i) {
    if (od[i] != xd[i]) reducing = true;  // od[i] == 1 < xd[i]
    else if (reducing && od[i] != 1) return false;
  }
  return true;
}

Read read_mode(const Tensor& t, const Shape& out, int64_t n) {
  // An operand that broadcasts to out with out's numel has out's (padded) shape.
  if (t.numel() == n) return Read::Full;
  if (t.numel() == 1) return Read::Scalar;
  if (is_suffix_of(t.shape(), out)) return Read::Suffix;
  return Read::Bcast;
}

}  // namespace

// x, y: same shape.
void CudaBackend::unary_forward(UnaryOp op, const Tensor& x, Tensor& y) {
  const int64_t n = x.numel();
  if (n == 0) return;
  DeviceGuard g(y.device());
  dispatch_float(x.dtype(), unary_op_name(op), [&](auto tag) {
    using T = decltype(tag);
    unary_fwd_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(op, x.data<T>(), y.data<T>(), n);
    DIEN_LAUNCH_CHECK("unary_forward");
  });
}

// x (or undefined), y (or undefined), gy, gx: same shape.
void CudaBackend::unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& gy, Tensor& gx,
                                 double beta) {
  const int64_t n = gy.numel();
  if (n == 0) return;
  DeviceGuard g(gx.device());
  dispatch_float(gy.dtype(), unary_op_name(op), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.defined() ? x.data<T>() : nullptr;
    const T* yp = y.defined() ? y.data<T>() : nullptr;
    unary_bwd_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(op, xp, yp, gy.data<T>(), gx.data<T>(), n,
                                                                 static_cast<T>(beta));
    DIEN_LAUNCH_CHECK("unary_backward");
  });
}

// a, b broadcast to out's shape; out may alias a or b when it has that operand's shape.
void CudaBackend::binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard g(out.device());
  const Bcast4 ba = make_bcast(a.shape(), out.shape()), bb = make_bcast(b.shape(), out.shape());
  const Read ma = read_mode(a, out.shape(), n), mb = read_mode(b, out.shape(), n);
  dispatch_float(out.dtype(), binary_op_name(op), [&](auto tag) {
    using T = decltype(tag);
    if (fits_u32(n))
      binary_kernel<T, uint32_t><<<grid_for(n), kThreads, 0, stream()>>>(
          op, a.data<T>(), ma, ba, static_cast<uint32_t>(a.numel()), b.data<T>(), mb, bb,
          static_cast<uint32_t>(b.numel()), out.data<T>(), n);
    else
      binary_kernel<T, int64_t><<<grid_for(n), kThreads, 0, stream()>>>(op, a.data<T>(), ma, ba, a.numel(),
                                                                        b.data<T>(), mb, bb, b.numel(),
                                                                        out.data<T>(), n);
    DIEN_LAUNCH_CHECK("binary_forward");
  });
}

// x [d0..d3] -> out (broadcastable to x): out (=|+=) the sum over the broadcast dims.
void CudaBackend::sum_to(const Tensor& x, Tensor& out, double beta) {
  const int64_t n = x.numel(), no = out.numel();
  if (no == 0) return;
  DeviceGuard g(out.device());
  dispatch_float(x.dtype(), "sum_to", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    T* o = out.data<T>();
    const T bt = static_cast<T>(beta);
    if (no == n) {  // nothing reduced (shapes equal up to leading 1s)
      sum_to_copy_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(xp, n, o, bt);
      DIEN_LAUNCH_CHECK("sum_to");
      return;
    }
    // Column sums with a block's worth of columns and few rows (<= 256): a thread per column.
    // Then a whole sum, column sums of any height, and row sums over up to 4,096 elements each
    // get their own multi-block kernels (above); anything else (a middle dim reduced, very long
    // rows) one block per output. (n == 0 with no > 0, a reduction over an empty dim, goes to the
    // block kernel: sums of nothing.)
    if (n > 0 && no >= kThreads && n / no <= 256 && is_suffix_of(out.shape(), x.shape())) {
      sum_to_columns_kernel<T><<<grid_for(no), kThreads, 0, stream()>>>(xp, n / no, no, o, bt);
      DIEN_LAUNCH_CHECK("sum_to");
      return;
    }
    if (n > 0 && no == 1) {  // everything: two stages over up to 1024 blocks
      const int64_t blocks = std::min<int64_t>(1024, ceil_div(n, 4 * kThreads)), per = ceil_div(n, blocks);
      Tensor partial = scratch_f64(blocks, x.device());
      sum_all_partials_kernel<T><<<static_cast<unsigned>(blocks), kThreads, 0, stream()>>>(xp, n, per, blocks,
                                                                                          partial.data<double>());
      DIEN_LAUNCH_CHECK("sum_to");
      sum_all_finish_kernel<T><<<1, kThreads, 0, stream()>>>(partial.data<double>(), blocks, o, bt);
      DIEN_LAUNCH_CHECK("sum_to");
      return;
    }
    if (n > 0 && is_suffix_of(out.shape(), x.shape())) {  // column sums, any height
      const ColumnPlan plan = plan_columns(n / no, no);
      Tensor partial = scratch_f64(plan.chunks * no, x.device());
      launch_column_partials(ElementTerm<T>{xp, no}, plan, partial.data<double>(), "sum_to");
      sum_to_columns_finish_kernel<T><<<grid_for(no), kThreads, 0, stream()>>>(partial.data<double>(), plan, o, bt);
      DIEN_LAUNCH_CHECK("sum_to");
      return;
    }
    if (n > 0 && n / no <= 4096 && is_prefix_of(out.shape(), x.shape())) {  // row sums: a warp a row
      sum_to_rows_kernel<T><<<grid_for(no * 32), kThreads, 0, stream()>>>(xp, no, n / no, o, bt);
      DIEN_LAUNCH_CHECK("sum_to");
      return;
    }
    SumToPlan p{};
    int64_t xd[4], od[4];
    pad4(x.shape(), xd);
    pad4(out.shape(), od);
    int64_t nred = 1, acc = 1;
    for (int i = 3; i >= 0; --i) {
      p.out_dims[i] = od[i];
      p.red_dims[i] = od[i] == 1 ? xd[i] : 1;
      p.xstride[i] = acc;
      acc *= xd[i];
      nred *= p.red_dims[i];
    }
    sum_to_block_kernel<T><<<grid_for(no, 1), kThreads, 0, stream()>>>(xp, p, no, nred, o, bt);
    DIEN_LAUNCH_CHECK("sum_to");
  });
}

// x (broadcastable to out) -> out.
void CudaBackend::expand(const Tensor& x, Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard g(out.device());
  const Bcast4 bx = make_bcast(x.shape(), out.shape());
  const Read mode = read_mode(x, out.shape(), n);
  dispatch_float(x.dtype(), "expand", [&](auto tag) {
    using T = decltype(tag);
    if (fits_u32(n))
      expand_kernel<T, uint32_t><<<grid_for(n), kThreads, 0, stream()>>>(
          x.data<T>(), mode, bx, static_cast<uint32_t>(x.numel()), out.data<T>(), n);
    else
      expand_kernel<T, int64_t><<<grid_for(n), kThreads, 0, stream()>>>(x.data<T>(), mode, bx, x.numel(),
                                                                        out.data<T>(), n);
    DIEN_LAUNCH_CHECK("expand");
  });
}

}  // namespace dien::cuda
