// SPDX-License-Identifier: MIT
// The op cases of the kernel lab (op_cases.h), one per kernel family and variant, in the order
// of kernels/backend.h. A case builder allocates its tensors with Instance::in/out/acc/scratch
// (the returned int is the tensor's index in the call's tensor list), adds its calls in the
// order they run, and, where a backward kernel exists, says which tensors are differentiated.
#include "kernels/lab/op_cases.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "kernels/dispatch.h"

namespace dien::lab {

namespace {

using TL = std::vector<Tensor>;

struct Dims {
  int64_t B, T, H, E, V, C;  // sequences, steps, hidden, embedding, vocabulary, DNN width
};

Dims dims(Size s) {
  switch (s) {
    case Size::Small: return {5, 6, 5, 3, 11, 7};
    case Size::Quick: return {256, 100, 36, 18, 100000, 200};
    case Size::Full: break;
  }
  return {1024, 100, 36, 18, 100000, 200};
}

std::string btxh(const Dims& d) {
  return "B=" + std::to_string(d.B) + " T=" + std::to_string(d.T) + " H=" + std::to_string(d.H);
}

// Uniform in [lo, hi), then pushed at least 0.05 away from 0: no zeros, no values at the kinks
// of relu/prelu, no tiny divisors. Integer dtypes truncate.
Tensor values(const Shape& s, Generator& g, DType dt, double lo = -1.0, double hi = 1.0) {
  std::vector<double> v = uniform(s, lo, hi, g, DType::F64).to_vector<double>();
  for (double& x : v)
    if (std::fabs(x) < 0.05) x += x < 0 ? -0.05 : 0.05;
  return from_vector(v, s).to(dt);
}

// Sequence lengths in [0, T], unsorted: T-1, 0, T, 1, then random in [1, T].
Tensor lengths(int64_t B, int64_t T, Generator& g) {
  std::vector<int64_t> v(static_cast<size_t>(B));
  const int64_t first[4] = {T - 1, 0, T, 1};
  for (int64_t b = 0; b < B; ++b) v[b] = b < 4 ? first[b] : 1 + static_cast<int64_t>(g.randint(T));
  return from_vector(v, {B});
}

Tensor* opt(TL& t, int i) { return i < 0 ? nullptr : &t[i]; }
const Tensor* copt(const TL& t, int i) { return i < 0 ? nullptr : &t[i]; }
// Index lists without the absent (-1) entries.
std::vector<int> present(std::initializer_list<int> is) {
  std::vector<int> v;
  for (int i : is)
    if (i >= 0) v.push_back(i);
  return v;
}

const std::vector<DType> kFloat = {DType::F32, DType::F64};
const std::vector<DType> kAll = {DType::F32, DType::F64, DType::I32, DType::I64};

// ---- memory, fill, cast, axpy ----------------------------------------------------------

Instance memory_case(Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  I.shape = Shape{d.B * d.T * d.H}.str();
  const Shape s{d.B * d.T * d.H};
  int src = I.in("src", values(s, g, dt, -50, 50)), dst = I.out("dst", s, dt), dst2 = I.out("dst2", s, dt);
  I.call(DIEN_LAB_KERNEL(copy_bytes), {src}, {dst}, [=](Backend& be, TL& t) {
    be.copy_bytes(t[dst].raw_data(), t[dst].device(), t[src].raw_data(), t[src].device(), t[src].nbytes());
  });
  // A fresh block each time (the CUDA allocator caches: steady-state reuse is what training sees).
  I.call(DIEN_LAB_KERNEL2(allocate, deallocate), {src}, {dst2}, [=](Backend& be, TL& t) {
    const Device dev = t[src].device();
    const size_t n = t[src].nbytes();
    void* p = be.allocate(n, dev);
    be.copy_bytes(p, dev, t[src].raw_data(), dev, n);
    be.copy_bytes(t[dst2].raw_data(), dev, p, dev, n);
    be.deallocate(p, dev);
  }).variant = "via a new block";
  return I;
}

Instance fill_case(Size size, DType dt, Generator&) {
  Dims d = dims(size);
  Instance I;
  I.shape = Shape{d.B * d.T * d.H}.str();
  int y = I.out("t", {d.B * d.T * d.H}, dt);
  I.call(DIEN_LAB_KERNEL(fill), {}, {y}, [=](Backend& be, TL& t) { be.fill(t[y], -3.0); });
  return I;
}

Instance cast_case(Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  const DType to = dt == DType::F64 ? DType::F32 : DType::F64;
  I.shape = Shape{d.B * d.T * d.H}.str() + " -> " + dtype_name(to);
  const Shape s{d.B * d.T * d.H};
  int x = I.in("src", values(s, g, dt, -50, 50)), y = I.out("dst", s, to);
  I.call(DIEN_LAB_KERNEL(cast), {x}, {y}, [=](Backend& be, TL& t) { be.cast(t[x], t[y]); });
  return I;
}

Instance axpy_case(Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  I.shape = Shape{d.B * d.T * d.H}.str();
  const Shape s{d.B * d.T * d.H};
  int x = I.in("x", values(s, g, dt)), y = I.acc("y", values(s, g, dt)), z = I.out("z", s, dt);
  int w = I.acc("w", values(s, g, dt));
  I.call(DIEN_LAB_KERNEL(axpy), {x, y}, {y}, [=](Backend& be, TL& t) { be.axpy(0.75, t[x], t[y]); });
  I.call(DIEN_LAB_KERNEL(scale_shift), {x}, {z}, [=](Backend& be, TL& t) { be.scale_shift(t[x], -1.25, 0.5, t[z]); });
  Call& in_place = I.call(DIEN_LAB_KERNEL(scale_shift), {w}, {w},
                          [=](Backend& be, TL& t) { be.scale_shift(t[w], 0.5, -0.25, t[w]); });
  in_place.variant = "in place";
  in_place.timed = false;
  return I;
}

// ---- elementwise -----------------------------------------------------------------------

Instance unary_case(UnaryOp op, Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  I.shape = btxh(d);
  const Shape s{d.B, d.T, d.H};
  const bool log = op == UnaryOp::Log;
  int x = I.in("x", values(s, g, dt, log ? 0.05 : -3.0, log ? 2.0 : 3.0)), y = I.out("y", s, dt);
  int gy = I.in("gy", values(s, g, dt)), gx = I.out("gx", s, dt), gx1 = I.acc("gx(beta=1)", values(s, g, dt));
  I.call(DIEN_LAB_KERNEL(unary_forward), {x}, {y}, [=](Backend& be, TL& t) { be.unary_forward(op, t[x], t[y]); });
  I.call(DIEN_LAB_KERNEL(unary_backward), {x, y, gy}, {gx},
         [=](Backend& be, TL& t) { be.unary_backward(op, t[x], t[y], t[gy], t[gx], 0.0); });
  I.call(DIEN_LAB_KERNEL(unary_backward), {x, y, gy, gx1}, {gx1},
         [=](Backend& be, TL& t) { be.unary_backward(op, t[x], t[y], t[gy], t[gx1], 1.0); })
      .variant = "beta=1";
  I.grad = Grad{0, {1}, {x}, {y}, {gy}, {gx}};
  return I;
}

// a [B,T,H] op b [H] (a bias row, broadcast), then the same written into a copy of a.
Instance binary_case(BinaryOp op, Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  I.shape = btxh(d) + " op [H]";
  const Shape s{d.B, d.T, d.H};
  int a = I.in("a", values(s, g, dt)), b = I.in("b", values({d.H}, g, dt)), out = I.out("out", s, dt);
  int a2 = I.acc("a (out)", values(s, g, dt));
  I.call(DIEN_LAB_KERNEL(binary_forward), {a, b}, {out},
         [=](Backend& be, TL& t) { be.binary_forward(op, t[a], t[b], t[out]); });
  Call& in_place = I.call(DIEN_LAB_KERNEL(binary_forward), {a2, b}, {a2},
                          [=](Backend& be, TL& t) { be.binary_forward(op, t[a2], t[b], t[a2]); });
  in_place.variant = "out=a";
  in_place.timed = false;
  return I;
}

// expand x (small) to [B,T,H]; its adjoint sum_to brings the gradient back (beta 0 and 1).
// bias: x [H]; else x [B,T,1] (a per-step scalar, as in attention pooling).
Instance broadcast_case(bool bias, Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  const Shape big{d.B, d.T, d.H};
  const Shape small = bias ? Shape{d.H} : Shape{d.B, d.T, 1};
  I.shape = small.str() + " <-> " + big.str();
  int x = I.in("x", values(small, g, dt)), y = I.out("y", big, dt);
  int gy = I.in("gy", values(big, g, dt)), gx = I.out("gx", small, dt), gx1 = I.acc("gx(beta=1)", values(small, g, dt));
  I.call(DIEN_LAB_KERNEL(expand), {x}, {y}, [=](Backend& be, TL& t) { be.expand(t[x], t[y]); });
  I.call(DIEN_LAB_KERNEL(sum_to), {gy}, {gx}, [=](Backend& be, TL& t) { be.sum_to(t[gy], t[gx], 0.0); });
  I.call(DIEN_LAB_KERNEL(sum_to), {gy, gx1}, {gx1}, [=](Backend& be, TL& t) { be.sum_to(t[gy], t[gx1], 1.0); })
      .variant = "beta=1";
  I.grad = Grad{0, {1}, {x}, {y}, {gy}, {gx}};
  return I;
}

// ---- gemm ------------------------------------------------------------------------------

// The input projection of a GRU: c [B*T, 3H] = a [B*T, 2E] w [3H, 2E]^T, and its backward.
Instance gemm_linear_case(Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  const int64_t M = d.B * d.T, K = 2 * d.E, N = 3 * d.H;
  I.shape = Shape{M, K}.str() + " x " + Shape{N, K}.str() + "^T";
  int a = I.in("a", values({M, K}, g, dt)), w = I.in("w", values({N, K}, g, dt)), c = I.out("c", {M, N}, dt);
  int gc = I.in("gc", values({M, N}, g, dt)), ga = I.out("ga", {M, K}, dt), gw = I.out("gw", {N, K}, dt);
  int c1 = I.acc("c(beta=1)", values({M, N}, g, dt));
  const double flops = 2.0 * M * N * K;
  Call& fwd = I.call(DIEN_LAB_KERNEL(gemm), {a, w}, {c},
                     [=](Backend& be, TL& t) { be.gemm(t[a], false, t[w], true, t[c], 1, 0); });
  fwd.variant = "c = a w^T";
  fwd.flops = flops;
  Call& bwa = I.call(DIEN_LAB_KERNEL(gemm), {gc, w}, {ga},
                     [=](Backend& be, TL& t) { be.gemm(t[gc], false, t[w], false, t[ga], 1, 0); });
  bwa.variant = "ga = gc w";
  bwa.flops = flops;
  Call& bww = I.call(DIEN_LAB_KERNEL(gemm), {gc, a}, {gw},
                     [=](Backend& be, TL& t) { be.gemm(t[gc], true, t[a], false, t[gw], 1, 0); });
  bww.variant = "gw = gc^T a";
  bww.flops = flops;
  Call& acc = I.call(DIEN_LAB_KERNEL(gemm), {a, w, c1}, {c1},
                     [=](Backend& be, TL& t) { be.gemm(t[a], false, t[w], true, t[c1], 0.5, 1.0); });
  acc.variant = "alpha=0.5 beta=1";
  acc.flops = flops;
  I.grad = Grad{0, {1, 2}, {a, w}, {c}, {gc}, {ga, gw}};
  I.tol32 = {1e-5, 1e-4};  // cuBLAS vs Eigen, as tests/cuda/test_parity_matmul.cpp
  I.tol64 = {1e-12, 1e-11};
  return I;
}

// A Linear layer's forward y = act(x wᵀ + b) [B*T, H] (the attention and auxiliary nets' shape):
// without bias, with bias, and with bias and relu / sigmoid.
Instance linear_forward_case(Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  const int64_t M = d.B * d.T, K = 2 * d.E, N = d.H + 3;  // N off the vector width: a masked tail
  I.shape = Shape{M, K}.str() + " x " + Shape{N, K}.str() + "^T + b";
  int x = I.in("x", values({M, K}, g, dt)), w = I.in("w", values({N, K}, g, dt)), b = I.in("b", values({N}, g, dt));
  const double flops = 2.0 * M * N * K;
  struct V {
    const char* name;
    bool bias;
    int act;  // -1 none, else a UnaryOp
  };
  for (V v : {V{"x w^T", false, -1}, V{"x w^T + b", true, -1}, V{"relu(x w^T + b)", true, int(UnaryOp::Relu)},
              V{"sigmoid(x w^T + b)", true, int(UnaryOp::Sigmoid)}}) {
    int y = I.out(std::string("y = ") + v.name, {M, N}, dt);
    Call& c = I.call(DIEN_LAB_KERNEL(linear_forward), v.bias ? std::vector<int>{x, w, b} : std::vector<int>{x, w}, {y},
                     [=](Backend& be, TL& t) {
                       const UnaryOp op = static_cast<UnaryOp>(v.act < 0 ? 0 : v.act);
                       be.linear_forward(t[x], t[w], v.bias ? &t[b] : nullptr, v.act < 0 ? nullptr : &op, t[y]);
                     });
    c.variant = v.name;
    c.flops = flops;
  }
  // init + x wᵀ, init's rows repeated over groups of rows (the auxiliary net's two halves).
  const int64_t Ri = M % 2 == 0 ? M / 2 : M;
  int init = I.in("init", values({Ri, N}, g, dt)), yi = I.out("y = init + x w^T", {M, N}, dt);
  Call& ci = I.call(DIEN_LAB_KERNEL(linear_forward), {x, w, init}, {yi},
                    [=](Backend& be, TL& t) { be.linear_forward(t[x], t[w], nullptr, nullptr, t[yi], &t[init]); });
  ci.variant = "init + x w^T";
  ci.flops = flops;
  I.tol32 = {1e-5, 1e-4};  // as gemm.linear
  I.tol64 = {1e-12, 1e-11};
  return I;
}

// A layer's input gradient through the previous layer's activation, gx = (g w) ⊙ act'(y) [B*T, D]
// (mlp's backward: the auxiliary and attention nets' hidden layers): relu (y with zeros) and
// sigmoid (y in (0, 1)).
Instance matmul_dact_case(Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  const int64_t M = d.B * d.T, K = d.H + 3, N = 2 * d.E + 1;  // N off the vector width: a masked tail
  I.shape = Shape{M, K}.str() + " x " + Shape{K, N}.str() + " * act'(y)";
  int gy = I.in("g", values({M, K}, g, dt)), w = I.in("w", values({K, N}, g, dt));
  std::vector<double> pre = values({M, N}, g, DType::F64).to_vector<double>(), yr(pre.size()), ys(pre.size());
  for (size_t i = 0; i < pre.size(); ++i) {
    yr[i] = pre[i] > 0 ? pre[i] : 0.0;
    ys[i] = 1.0 / (1.0 + std::exp(-3.0 * pre[i]));
  }
  int y_relu = I.in("y = relu(.)", from_vector(yr, Shape{M, N}).to(dt));
  int y_sig = I.in("y = sigmoid(.)", from_vector(ys, Shape{M, N}).to(dt));
  for (UnaryOp op : {UnaryOp::Relu, UnaryOp::Sigmoid}) {
    const int y = op == UnaryOp::Relu ? y_relu : y_sig;
    int gx = I.out(std::string("gx, ") + unary_op_name(op), {M, N}, dt);
    Call& c = I.call(DIEN_LAB_KERNEL(matmul_dact), {gy, w, y}, {gx},
                     [=](Backend& be, TL& t) { be.matmul_dact(t[gy], t[w], t[y], op, t[gx]); });
    c.variant = unary_op_name(op);
    c.flops = 2.0 * M * N * K;
  }
  I.tol32 = {1e-5, 1e-4};  // as gemm.linear
  I.tol64 = {1e-12, 1e-11};
  return I;
}

// Batched: attention scores c [B,T,1] = keys [B,T,H] query [B,H,1], and the backward.
Instance gemm_batched_case(Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  I.shape = "[B,T,H]x[B,H,1] " + btxh(d);
  int a = I.in("keys", values({d.B, d.T, d.H}, g, dt)), b = I.in("query", values({d.B, d.H, 1}, g, dt));
  int c = I.out("c", {d.B, d.T, 1}, dt), gc = I.in("gc", values({d.B, d.T, 1}, g, dt));
  int ga = I.out("ga", {d.B, d.T, d.H}, dt), gb = I.out("gb", {d.B, d.H, 1}, dt);
  const double flops = 2.0 * d.B * d.T * d.H;
  Call& fwd = I.call(DIEN_LAB_KERNEL(gemm), {a, b}, {c},
                     [=](Backend& be, TL& t) { be.gemm(t[a], false, t[b], false, t[c], 1, 0); });
  fwd.variant = "c = a b";
  fwd.flops = flops;
  Call& bwa = I.call(DIEN_LAB_KERNEL(gemm), {gc, b}, {ga},
                     [=](Backend& be, TL& t) { be.gemm(t[gc], false, t[b], true, t[ga], 1, 0); });
  bwa.variant = "ga = gc b^T";
  bwa.flops = flops;
  Call& bwb = I.call(DIEN_LAB_KERNEL(gemm), {a, gc}, {gb},
                     [=](Backend& be, TL& t) { be.gemm(t[a], true, t[gc], false, t[gb], 1, 0); });
  bwb.variant = "gb = a^T gc";
  bwb.flops = flops;
  I.grad = Grad{0, {1, 2}, {a, b}, {c}, {gc}, {ga, gb}};
  I.tol32 = {1e-5, 1e-4};  // cuBLAS vs Eigen, as tests/cuda/test_parity_matmul.cpp
  I.tol64 = {1e-12, 1e-11};
  return I;
}

// ---- shape -----------------------------------------------------------------------------

// Concat's band: src [B,T,H] into the second half of dst [B,T,2H]; the backward slices it out.
Instance copy_band_case(Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  I.shape = btxh(d) + " into [B,T,2H] at H";
  const Shape s{d.B, d.T, d.H}, w{d.B, d.T, 2 * d.H};
  const int64_t H = d.H;
  int src = I.in("src", values(s, g, dt, -9, 9)), dst = I.acc("dst", values(w, g, dt, -9, 9));
  int gd = I.in("g_dst", values(w, g, dt, -9, 9)), gs = I.out("g_src", s, dt);
  int dst1 = I.acc("dst(beta=1)", values(w, g, dt, -9, 9));
  I.call(DIEN_LAB_KERNEL(copy_band), {src}, {dst},
         [=](Backend& be, TL& t) { be.copy_band(t[src], 0, t[dst], H, 2, H, 0.0); });
  I.call(DIEN_LAB_KERNEL(copy_band), {gd}, {gs}, [=](Backend& be, TL& t) { be.copy_band(t[gd], H, t[gs], 0, 2, H, 0.0); });
  I.call(DIEN_LAB_KERNEL(copy_band), {src, dst1}, {dst1},
         [=](Backend& be, TL& t) { be.copy_band(t[src], 0, t[dst1], 0, 2, H, 1.0); })
      .variant = "beta=1";
  I.grad = Grad{0, {1}, {src}, {dst}, {gd}, {gs}};
  return I;
}

Instance transpose_case(Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  I.shape = btxh(d) + " -> [B,H,T]";
  const Shape s{d.B, d.T, d.H}, ts{d.B, d.H, d.T};
  int x = I.in("x", values(s, g, dt, -9, 9)), y = I.out("y", ts, dt);
  int gy = I.in("gy", values(ts, g, dt, -9, 9)), gx = I.out("gx", s, dt);
  I.call(DIEN_LAB_KERNEL(transpose_last2), {x}, {y}, [=](Backend& be, TL& t) { be.transpose_last2(t[x], t[y]); });
  I.call(DIEN_LAB_KERNEL(transpose_last2), {gy}, {gx}, [=](Backend& be, TL& t) { be.transpose_last2(t[gy], t[gx]); });
  I.grad = Grad{0, {1}, {x}, {y}, {gy}, {gx}};
  return I;
}

// ---- activations, softmax ----------------------------------------------------------------

Instance prelu_case(Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  I.shape = btxh(d) + ", w [H]";
  const Shape s{d.B, d.T, d.H};
  int x = I.in("x", values(s, g, dt)), w = I.in("w", values({d.H}, g, dt, 0.05, 0.5)), y = I.out("y", s, dt);
  int gy = I.in("gy", values(s, g, dt)), gx = I.out("gx", s, dt), gw = I.out("gw", {d.H}, dt);
  int gw1 = I.acc("gw(beta=1)", values({d.H}, g, dt));
  I.call(DIEN_LAB_KERNEL(prelu_forward), {x, w}, {y}, [=](Backend& be, TL& t) { be.prelu_forward(t[x], t[w], t[y]); });
  I.call(DIEN_LAB_KERNEL(prelu_backward), {x, w, gy}, {gx, gw},
         [=](Backend& be, TL& t) { be.prelu_backward(t[x], t[w], t[gy], &t[gx], &t[gw], 0.0); });
  I.call(DIEN_LAB_KERNEL(prelu_backward), {x, w, gy, gw1}, {gw1},
         [=](Backend& be, TL& t) { be.prelu_backward(t[x], t[w], t[gy], nullptr, &t[gw1], 1.0); })
      .variant = "gw only, beta=1";
  I.grad = Grad{0, {1}, {x, w}, {y}, {gy}, {gx, gw}};
  return I;
}

// Over the T steps of each sequence; masked: the valid steps of `lengths`.
Instance softmax_case(bool masked, Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  I.shape = "[B,T] B=" + std::to_string(d.B) + " T=" + std::to_string(d.T);
  const Shape s{d.B, d.T};
  int x = I.in("x", values(s, g, dt, -3, 3)), y = I.out("y", s, dt);
  int mask = -1;
  if (masked) {
    Tensor m = Tensor::empty(s, dt);
    backend_for(Device::cpu()).sequence_mask(lengths(d.B, d.T, g), m);
    mask = I.in("mask", m);
  }
  int gy = I.in("gy", values(s, g, dt)), gx = I.out("gx", s, dt);
  I.call(DIEN_LAB_KERNEL(softmax_forward), present({x, mask}), {y},
         [=](Backend& be, TL& t) { be.softmax_forward(t[x], copt(t, mask), t[y]); });
  I.call(DIEN_LAB_KERNEL(softmax_backward), {y, gy}, {gx},
         [=](Backend& be, TL& t) { be.softmax_backward(t[y], t[gy], t[gx]); });
  I.grad = Grad{0, {1}, {x}, {y}, {gy}, {gx}};
  return I;
}

// ---- embedding, dropout, batch norm, losses, sequence mask -------------------------------

// A history lookup: ids [B*T] (i64 or i32) into weight [V, E]; the backward adds into gw.
Instance embedding_case(DType idt, Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  const int64_t n = d.B * d.T;
  I.shape = "V=" + std::to_string(d.V) + " E=" + std::to_string(d.E) + " ids [" + std::to_string(n) + "] " +
            dtype_name(idt);
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (auto& v : ids) v = static_cast<int64_t>(g.randint(static_cast<uint64_t>(d.V)));
  ids[0] = d.V - 1;
  int w = I.in("weight", values({d.V, d.E}, g, dt)), id = I.in("ids", from_vector(ids, {n}).to(idt));
  int out = I.out("out", {n, d.E}, dt), gy = I.in("gy", values({n, d.E}, g, dt));
  int gw = I.acc("gw", values({d.V, d.E}, g, dt));
  I.call(DIEN_LAB_KERNEL(embedding_forward), {w, id}, {out},
         [=](Backend& be, TL& t) { be.embedding_forward(t[w], t[id], t[out]); });
  I.call(DIEN_LAB_KERNEL(embedding_backward), {gy, id, gw}, {gw},
         [=](Backend& be, TL& t) { be.embedding_backward(t[gy], t[id], t[gw]); });
  I.grad = Grad{0, {1}, {w}, {out}, {gy}, {gw}};
  // The GPU adds repeated ids' rows with atomics, in any order (tests/cuda/test_parity_nn_kernels.cpp).
  I.tol32 = {1e-4, 2e-4};
  I.tol64 = {1e-11, 1e-11};
  return I;
}

// A lazy optimizer's write-back: rows src [k, E] into dst [V, E] at k distinct ids (every other
// row of dst must keep its value).
Instance embedding_scatter_case(DType idt, Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  std::vector<int64_t> ids;
  for (int64_t v = d.V - 1; v >= 0; v -= 2) ids.push_back(v);  // distinct, unsorted order
  const int64_t k = static_cast<int64_t>(ids.size());
  I.shape = "V=" + std::to_string(d.V) + " E=" + std::to_string(d.E) + " rows " + std::to_string(k) + " " +
            dtype_name(idt);
  int src = I.in("src", values({k, d.E}, g, dt)), id = I.in("ids", from_vector(ids, {k}).to(idt));
  int dst = I.acc("dst", values({d.V, d.E}, g, dt));
  I.call(DIEN_LAB_KERNEL(embedding_scatter), {src, id, dst}, {dst},
         [=](Backend& be, TL& t) { be.embedding_scatter(t[src], t[id], t[dst]); });
  return I;
}

Instance dropout_case(Size size, DType dt, Generator&) {
  Dims d = dims(size);
  Instance I;
  I.shape = btxh(d) + " p=0.3";
  int m = I.out("mask", {d.B, d.T, d.H}, dt);
  I.call(DIEN_LAB_KERNEL(dropout_mask), {}, {m},
         [=](Backend& be, TL& t) { be.dropout_mask(t[m], 0.3, 0x5eedull, 12345); });
  return I;
}

// x [B, C]: a DNN layer's batch; training (batch statistics, running update) or eval.
Instance batch_norm_case(bool training, Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  const int64_t N = size == Size::Small ? 9 : d.B, C = d.C;
  I.shape = Shape{N, C}.str();
  int x = I.in("x", values({N, C}, g, dt, -1, 3)), gamma = I.in("gamma", values({C}, g, dt, 0.5, 1.5));
  int beta = I.in("beta", values({C}, g, dt, -0.5, 0.5));
  Tensor rm = values({C}, g, dt, -0.3, 0.3), rv = values({C}, g, dt, 0.5, 1.5);
  int mean = training ? I.acc("running_mean", rm) : I.in("running_mean", rm);
  int var = training ? I.acc("running_var", rv) : I.in("running_var", rv);
  int y = I.out("y", {N, C}, dt), sm = I.out("save_mean", {C}, dt), si = I.out("save_invstd", {C}, dt);
  int gy = I.in("gy", values({N, C}, g, dt)), gx = I.out("gx", {N, C}, dt);
  int gg = I.out("ggamma", {C}, dt), gb = I.out("gbeta", {C}, dt);
  std::vector<int> writes = {y, sm, si};
  if (training) writes.insert(writes.end(), {mean, var});
  I.call(DIEN_LAB_KERNEL(batch_norm_forward), {x, gamma, beta, mean, var}, writes, [=](Backend& be, TL& t) {
    be.batch_norm_forward(t[x], &t[gamma], &t[beta], &t[mean], &t[var], training, 0.1, 1e-5, t[y], t[sm], t[si]);
  });
  I.call(DIEN_LAB_KERNEL(batch_norm_backward), {x, gamma, sm, si, gy}, {gx, gg, gb}, [=](Backend& be, TL& t) {
    be.batch_norm_backward(t[x], &t[gamma], t[sm], t[si], t[gy], training, &t[gx], &t[gg], &t[gb]);
  });
  I.grad = Grad{0, {1}, {x, gamma, beta}, {y}, {gy}, {gx, gg, gb}};
  return I;
}

Instance bce_case(bool logits, Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  I.shape = Shape{d.B * d.T}.str();
  const Shape s{d.B * d.T};
  int p = logits ? I.in("x", values(s, g, dt, -3, 3)) : I.in("p", values(s, g, dt, 0.05, 0.95));
  int tg = I.in("target", values(s, g, dt, 0, 1)), l = I.out("l", s, dt);
  int gl = I.in("gl", values(s, g, dt)), gp = I.out("gp", s, dt);
  if (logits) {
    I.call(DIEN_LAB_KERNEL(bce_logits_forward), {p, tg}, {l},
           [=](Backend& be, TL& t) { be.bce_logits_forward(t[p], t[tg], t[l]); });
    I.call(DIEN_LAB_KERNEL(bce_logits_backward), {p, tg, gl}, {gp},
           [=](Backend& be, TL& t) { be.bce_logits_backward(t[p], t[tg], t[gl], t[gp]); });
  } else {
    I.call(DIEN_LAB_KERNEL(bce_forward), {p, tg}, {l},
           [=](Backend& be, TL& t) { be.bce_forward(t[p], t[tg], 1e-7, t[l]); });
    I.call(DIEN_LAB_KERNEL(bce_backward), {p, tg, gl}, {gp},
           [=](Backend& be, TL& t) { be.bce_backward(t[p], t[tg], 1e-7, t[gl], t[gp]); });
  }
  I.grad = Grad{0, {1}, {p}, {l}, {gl}, {gp}};
  return I;
}

Instance sequence_mask_case(Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  I.shape = "[B,T] B=" + std::to_string(d.B) + " T=" + std::to_string(d.T);
  int len = I.in("lengths", lengths(d.B, d.T, g)), m = I.out("mask", {d.B, d.T}, dt);
  I.call(DIEN_LAB_KERNEL(sequence_mask), {len}, {m}, [=](Backend& be, TL& t) { be.sequence_mask(t[len], t[m]); });
  return I;
}

// ---- recurrent scans, attention, auxiliary loss ------------------------------------------

// The whole scan over gi [B,T,3H] (training, then inference without a workspace) and its
// reverse scan, with h0, a recurrent bias and, for the attention cells, att [B,T].
Instance rnn_case(RnnCell cell, GateLayout layout, Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  const int64_t B = d.B, T = d.T, H = d.H;
  I.shape = btxh(d);
  int gi = I.in("gi", values({B, T, 3 * H}, g, dt)), len = I.in("lengths", lengths(B, T, g));
  int att = cell == RnnCell::Gru ? -1 : I.in("att", values({B, T}, g, dt, 0.1, 0.9));
  int h0 = I.in("h0", values({B, H}, g, dt)), w = I.in("w_hh", values({3 * H, H}, g, dt, -0.7, 0.7));
  int b = I.in("b_hh", values({3 * H}, g, dt, -0.5, 0.5));
  int st = I.out("states", {B, T, H}, dt), last = I.out("last", {B, H}, dt);
  int ws = I.scratch("ws", {B, T, kRnnWorkspaceGates * H}, dt);
  int st2 = I.out("states(inference)", {B, T, H}, dt), last2 = I.out("last(inference)", {B, H}, dt);
  int gst = I.in("g_states", values({B, T, H}, g, dt)), glast = I.in("g_last", values({B, H}, g, dt));
  int ggi = I.out("g_gi", {B, T, 3 * H}, dt), gh0 = I.out("g_h0", {B, H}, dt);
  int gatt = att < 0 ? -1 : I.out("g_att", {B, T}, dt);
  int gw = I.out("g_w_hh", {3 * H, H}, dt), gb = I.out("g_b_hh", {3 * H}, dt);
  const double step_flops = 2.0 * B * 3 * H * H;  // h W_hh^T per step (the gates add O(B H))
  auto forward = [=](int states, int last_state, int work) -> CallFn {
    return [=](Backend& be, TL& t) {
      be.rnn_scan_forward(cell, layout, t[gi], t[len], copt(t, att), &t[h0], t[w], &t[b], t[states], t[last_state],
                          opt(t, work));
    };
  };
  I.call(DIEN_LAB_KERNEL(rnn_scan_forward), present({gi, len, att, h0, w, b}), {st, last, ws}, forward(st, last, ws))
      .flops = T * step_flops;
  I.call(DIEN_LAB_KERNEL(rnn_scan_backward), present({gi, len, att, h0, w, b, st, ws, gst, glast}),
         present({ggi, gh0, gatt, gw, gb}), [=](Backend& be, TL& t) {
           be.rnn_scan_backward(cell, layout, t[gi], t[len], copt(t, att), &t[h0], t[w], &t[b], t[st], t[ws], &t[gst],
                                &t[glast], t[ggi], &t[gh0], opt(t, gatt), &t[gw], &t[gb]);
         })
      .flops = 3 * T * step_flops;  // g_h W_hh, g_W_hh += g^T h, and the forward's recomputation
  Call& inf = I.call(DIEN_LAB_KERNEL(rnn_scan_forward), present({gi, len, att, h0, w, b}), {st2, last2},
                     forward(st2, last2, -1));
  inf.variant = "inference (no workspace)";
  inf.flops = T * step_flops;
  // From the inputs: gi = x W_ihᵀ + b_ih formed by the backend (the CPU: per block and step).
  const int64_t D = d.E;
  int x = I.in("x", values({B, T, D}, g, dt)), wih = I.in("w_ih", values({3 * H, D}, g, dt, -0.7, 0.7));
  int bih = I.in("b_ih", values({3 * H}, g, dt, -0.5, 0.5));
  int st3 = I.out("states(from x)", {B, T, H}, dt), last3 = I.out("last(from x)", {B, H}, dt);
  int ws3 = I.scratch("ws(from x)", {B, T, kRnnWorkspaceGates * H}, dt);
  I.call(DIEN_LAB_KERNEL(rnn_scan_forward_x), present({x, wih, bih, len, att, h0, w, b}), {st3, last3, ws3},
         [=](Backend& be, TL& t) {
           be.rnn_scan_forward_x(cell, layout, t[x], t[wih], &t[bih], t[len], copt(t, att), &t[h0], t[w], &t[b],
                                 t[st3], t[last3], &t[ws3]);
         })
      .flops = T * (step_flops + 2.0 * B * 3 * H * D);
  // ... and its reverse scan down to the inputs: g_x, g_w_ih, g_b_ih besides the recurrent ones.
  int gx3 = I.out("g_x(from x)", {B, T, D}, dt), gwih3 = I.out("g_w_ih(from x)", {3 * H, D}, dt);
  int gbih3 = I.out("g_b_ih(from x)", {3 * H}, dt), gh03 = I.out("g_h0(from x)", {B, H}, dt);
  int gatt3 = att < 0 ? -1 : I.out("g_att(from x)", {B, T}, dt);
  int gw3 = I.out("g_w_hh(from x)", {3 * H, H}, dt), gb3 = I.out("g_b_hh(from x)", {3 * H}, dt);
  I.call(DIEN_LAB_KERNEL(rnn_scan_backward_x), present({x, wih, len, att, h0, w, b, st3, ws3, gst, glast}),
         present({gx3, gh03, gatt3, gwih3, gbih3, gw3, gb3}), [=](Backend& be, TL& t) {
           be.rnn_scan_backward_x(cell, layout, &t[x], &t[wih], t[len], copt(t, att), &t[h0], t[w], &t[b], t[st3],
                                  t[ws3], &t[gst], &t[glast], &t[gx3], &t[gh03], opt(t, gatt3), &t[gwih3], &t[gbih3],
                                  &t[gw3], &t[gb3]);
         })
      .flops = 3 * T * (step_flops + 2.0 * B * 3 * H * D);
  I.grad = Grad{0, {1}, present({gi, att, h0, w, b}), {st, last}, {gst, glast}, present({ggi, gatt, gh0, gw, gb})};
  // As tests/cuda/test_parity_sequence.cpp: weight gradients sum over all B*T steps.
  I.tol32 = {1e-5, 1e-5};
  I.tol64 = {1e-10, 1e-10};
  return I;
}

Instance attention_case(bool normalize, Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  I.shape = "[B,T] B=" + std::to_string(d.B) + " T=" + std::to_string(d.T);
  const Shape s{d.B, d.T};
  int x = I.in("scores", values(s, g, dt, -3, 3)), len = I.in("lengths", lengths(d.B, d.T, g));
  int y = I.out("y", s, dt), gy = I.in("gy", values(s, g, dt)), gx = I.out("gx", s, dt);
  I.call(DIEN_LAB_KERNEL(attention_forward), {x, len}, {y},
         [=](Backend& be, TL& t) { be.attention_forward(t[x], t[len], normalize, t[y]); });
  I.call(DIEN_LAB_KERNEL(attention_backward), {y, gy, len}, {gx},
         [=](Backend& be, TL& t) { be.attention_backward(t[y], t[gy], t[len], normalize, t[gx]); });
  I.grad = Grad{0, {1}, {x}, {y}, {gy}, {gx}};
  I.tol64 = {1e-10, 1e-10};  // as tests/cuda/test_parity_sequence.cpp
  return I;
}

Instance aux_bce_case(Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  Instance I;
  const int64_t P = d.T - 1;
  I.shape = "[B,T-1] B=" + std::to_string(d.B) + " T=" + std::to_string(d.T);
  int pp = I.in("p_pos", values({d.B, P}, g, dt, 0.05, 0.95)), pn = I.in("p_neg", values({d.B, P}, g, dt, 0.05, 0.95));
  int len = I.in("lengths", lengths(d.B, d.T, g)), loss = I.out("loss", {}, dt);
  int gl = I.in("g", values({}, g, dt, 0.5, 1.5));
  int gpp = I.out("g_pos", {d.B, P}, dt), gpn = I.out("g_neg", {d.B, P}, dt);
  I.call(DIEN_LAB_KERNEL(aux_bce_forward), {pp, pn, len}, {loss},
         [=](Backend& be, TL& t) { be.aux_bce_forward(t[pp], t[pn], t[len], 1e-7, t[loss]); });
  I.call(DIEN_LAB_KERNEL(aux_bce_backward), {pp, pn, len, gl}, {gpp, gpn},
         [=](Backend& be, TL& t) { be.aux_bce_backward(t[pp], t[pn], t[len], 1e-7, t[gl], t[gpp], t[gpn]); });
  I.grad = Grad{0, {1}, {pp, pn}, {loss}, {gl}, {gpp, gpn}};
  I.tol64 = {1e-10, 1e-10};  // as tests/cuda/test_parity_sequence.cpp
  return I;
}

// ---- optimizers: one step over an embedding table's worth of parameters ------------------

// param (updated) and its gradient, [V, E]; buffers come from optim_buffer. Callers copy the pair
// into plain ints: their lambdas capture them, and clang 14 (the sanitizer build) cannot capture
// structured bindings.
std::pair<int, int> optim_tensors(Instance& I, Size size, DType dt, Generator& g) {
  Dims d = dims(size);
  I.shape = Shape{d.V, d.E}.str();
  // Optimizer state in f32 sums terms of ~10 that can cancel (tests/cuda/test_parity_optim.cpp).
  I.tol32 = {1e-5, 1e-5};
  return {I.acc("param", values({d.V, d.E}, g, dt)), I.in("grad", values({d.V, d.E}, g, dt, -2, 2))};
}
// A state buffer of param's shape; squares (second moments) are positive.
int optim_buffer(Instance& I, const char* name, bool square, int param, Generator& g) {
  const Tensor& p = I.args[param].t;
  return I.acc(name, square ? values(p.shape(), g, p.dtype(), 0.1, 1.0) : values(p.shape(), g, p.dtype()));
}

Instance sgd_case(Size size, DType dt, Generator& g) {
  Instance I;
  const auto pg = optim_tensors(I, size, dt, g);
  const int p = pg.first, gr = pg.second;
  int m = optim_buffer(I, "momentum_buf", false, p, g);
  I.call(DIEN_LAB_KERNEL(sgd_step), {p, gr, m}, {p, m}, [=](Backend& be, TL& t) {
     be.sgd_step(t[p], t[gr], &t[m], 0.05, 0.9, 0.3, false, 0.02, false);
   }).variant = "momentum, dampening, decay";
  I.call(DIEN_LAB_KERNEL(sgd_step), {p, gr, m}, {p, m}, [=](Backend& be, TL& t) {
     be.sgd_step(t[p], t[gr], &t[m], 0.05, 0.8, 0.0, true, 0.01, true);
   }).variant = "nesterov, first step";
  I.call(DIEN_LAB_KERNEL(sgd_step), {p, gr}, {p}, [=](Backend& be, TL& t) {
     be.sgd_step(t[p], t[gr], nullptr, 0.1, 0.0, 0.0, false, 0.0, false);
   }).variant = "plain";
  return I;
}

Instance adam_case(Size size, DType dt, Generator& g) {
  Instance I;
  const auto pg = optim_tensors(I, size, dt, g);
  const int p = pg.first, gr = pg.second;
  int m = optim_buffer(I, "exp_avg", false, p, g), v = optim_buffer(I, "exp_avg_sq", true, p, g);
  I.call(DIEN_LAB_KERNEL(adam_step), {p, gr, m, v}, {p, m, v},
         [=](Backend& be, TL& t) { be.adam_step(t[p], t[gr], t[m], t[v], 7, 0.02, 0.8, 0.95, 1e-3, 0.05); });
  return I;
}

// Every other row of [V, E] (descending, so not in order) as an i64 input `name` of I; sets
// I.shape; k (the row count) out.
int every_other_row(Instance& I, const Dims& d, const char* name, int64_t& k) {
  k = (d.V + 1) / 2;
  I.shape = Shape{d.V, d.E}.str() + ", rows " + std::to_string(k);
  std::vector<int64_t> rows;
  for (int64_t r = d.V - 1; r >= 0; r -= 2) rows.push_back(r);
  return I.in(name, from_vector<int64_t>(rows, Shape{k}));
}

// The gradient of a gather of distinct rows (every other row of [V, E]; the rest get zeros).
Instance gather_rows_case(Size size, DType dt, Generator& g) {
  Instance I;
  Dims d = dims(size);
  int64_t k = 0;
  const int idx = every_other_row(I, d, "rows", k);
  const int gy = I.in("gy", values({k, d.E}, g, dt)), gw = I.out("gw", {d.V, d.E}, dt);
  I.call(DIEN_LAB_KERNEL(gather_rows_backward), {gy, idx}, {gw},
         [=](Backend& be, TL& t) { be.gather_rows_backward(t[gy], t[idx], t[gw]); });
  return I;
}

// The lazy step on every other row of param and its state (the others must not change).
Instance adam_rows_case(Size size, DType dt, Generator& g) {
  Instance I;
  Dims d = dims(size);
  int64_t k = 0;
  const int idx = every_other_row(I, d, "index", k);
  I.tol32 = {1e-5, 1e-5};
  const int p = I.acc("param", values({d.V, d.E}, g, dt));
  const int gr = I.in("grad_rows", values({k, d.E}, g, dt, -2, 2));
  int m = optim_buffer(I, "exp_avg", false, p, g), v = optim_buffer(I, "exp_avg_sq", true, p, g);
  I.call(DIEN_LAB_KERNEL(adam_step_rows), {p, idx, gr, m, v}, {p, m, v}, [=](Backend& be, TL& t) {
    be.adam_step_rows(t[p], t[idx], t[gr], t[m], t[v], 7, 0.02, 0.8, 0.95, 1e-3, 0.05);
  });
  return I;
}

Instance adagrad_case(Size size, DType dt, Generator& g) {
  Instance I;
  const auto pg = optim_tensors(I, size, dt, g);
  const int p = pg.first, gr = pg.second;
  int s = optim_buffer(I, "sum_sq", true, p, g);
  I.call(DIEN_LAB_KERNEL(adagrad_step), {p, gr, s}, {p, s},
         [=](Backend& be, TL& t) { be.adagrad_step(t[p], t[gr], t[s], 4, 0.1, 0.05, 1e-3, 0.02); });
  return I;
}

Instance rmsprop_case(Size size, DType dt, Generator& g) {
  Instance I;
  const auto pg = optim_tensors(I, size, dt, g);
  const int p = pg.first, gr = pg.second;
  int s = optim_buffer(I, "square_avg", true, p, g), m = optim_buffer(I, "momentum_buf", false, p, g);
  I.call(DIEN_LAB_KERNEL(rmsprop_step), {p, gr, s, m}, {p, s, m},
         [=](Backend& be, TL& t) { be.rmsprop_step(t[p], t[gr], t[s], &t[m], 0.01, 0.9, 1e-3, 0.7, 0.01); })
      .variant = "momentum, decay";
  I.call(DIEN_LAB_KERNEL(rmsprop_step), {p, gr, s}, {p, s},
         [=](Backend& be, TL& t) { be.rmsprop_step(t[p], t[gr], t[s], nullptr, 0.01, 0.99, 1e-8, 0.0, 0.0); })
      .variant = "defaults";
  return I;
}

std::vector<OpCase> make_cases() {
  using namespace std::placeholders;
  std::vector<OpCase> cs;
  auto add = [&](std::string name, std::vector<DType> dts, std::function<Instance(Size, DType, Generator&)> f) {
    cs.push_back({std::move(name), std::move(dts), std::move(f)});
  };
  add("memory", {DType::F32, DType::I64}, memory_case);
  add("fill", kAll, fill_case);
  add("cast", kAll, cast_case);
  add("axpy_scale_shift", kFloat, axpy_case);
  for (UnaryOp op : {UnaryOp::Neg, UnaryOp::Exp, UnaryOp::Log, UnaryOp::Sigmoid, UnaryOp::Tanh, UnaryOp::Relu})
    add(std::string("unary.") + unary_op_name(op), kFloat, std::bind(unary_case, op, _1, _2, _3));
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div})
    add(std::string("binary.") + binary_op_name(op), kFloat, std::bind(binary_case, op, _1, _2, _3));
  add("broadcast.bias", kFloat, std::bind(broadcast_case, true, _1, _2, _3));
  add("broadcast.inner", kFloat, std::bind(broadcast_case, false, _1, _2, _3));
  add("gemm.linear", kFloat, gemm_linear_case);
  add("linear.forward", kFloat, linear_forward_case);
  add("matmul_dact", kFloat, matmul_dact_case);
  add("gemm.batched", kFloat, gemm_batched_case);
  add("copy_band", kAll, copy_band_case);
  add("transpose_last2", kAll, transpose_case);
  add("prelu", kFloat, prelu_case);
  add("softmax", kFloat, std::bind(softmax_case, false, _1, _2, _3));
  add("softmax.masked", kFloat, std::bind(softmax_case, true, _1, _2, _3));
  add("embedding", kFloat, std::bind(embedding_case, DType::I64, _1, _2, _3));
  add("embedding.i32_ids", kFloat, std::bind(embedding_case, DType::I32, _1, _2, _3));
  add("embedding_scatter", kFloat, std::bind(embedding_scatter_case, DType::I64, _1, _2, _3));
  add("embedding_scatter.i32_ids", kFloat, std::bind(embedding_scatter_case, DType::I32, _1, _2, _3));
  add("dropout_mask", kFloat, dropout_case);
  add("batch_norm.train", kFloat, std::bind(batch_norm_case, true, _1, _2, _3));
  add("batch_norm.eval", kFloat, std::bind(batch_norm_case, false, _1, _2, _3));
  add("bce", kFloat, std::bind(bce_case, false, _1, _2, _3));
  add("bce_logits", kFloat, std::bind(bce_case, true, _1, _2, _3));
  add("sequence_mask", kAll, sequence_mask_case);
  for (RnnCell cell : {RnnCell::Gru, RnnCell::AugruPaper, RnnCell::AugruReference, RnnCell::Agru})
    for (GateLayout layout : {GateLayout::LinearBeforeReset, GateLayout::ResetBeforeLinear}) {
      std::string name = std::string("rnn_scan.") + rnn_cell_name(cell) +
                         (layout == GateLayout::LinearBeforeReset ? ".lbr" : ".rbl");
      add(name, kFloat, std::bind(rnn_case, cell, layout, _1, _2, _3));
    }
  add("attention.softmax", kFloat, std::bind(attention_case, true, _1, _2, _3));
  add("attention.raw", kFloat, std::bind(attention_case, false, _1, _2, _3));
  add("aux_bce", kFloat, aux_bce_case);
  add("sgd_step", kFloat, sgd_case);
  add("adam_step", kFloat, adam_case);
  add("adam_step_rows", kFloat, adam_rows_case);
  add("gather_rows_backward", kFloat, gather_rows_case);
  add("adagrad_step", kFloat, adagrad_case);
  add("rmsprop_step", kFloat, rmsprop_case);
  return cs;
}

}  // namespace

std::vector<Tensor> Instance::tensors() const {
  std::vector<Tensor> ts;
  for (const Arg& a : args) ts.push_back(a.t);
  return ts;
}

double Instance::bytes(const Call& c) const {
  std::set<int> touched(c.reads.begin(), c.reads.end());
  touched.insert(c.writes.begin(), c.writes.end());
  double b = 0;
  for (int i : touched) b += static_cast<double>(args[i].t.nbytes());
  return b;
}

const std::vector<OpCase>& op_cases() {
  static const std::vector<OpCase> cases = make_cases();
  return cases;
}

std::vector<std::string> split_kernels(const std::string& kernel) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t plus = kernel.find('+', start);
    out.push_back(kernel.substr(start, plus == std::string::npos ? std::string::npos : plus - start));
    if (plus == std::string::npos) return out;
    start = plus + 1;
  }
}

std::vector<std::string> covered_kernels() {
  std::set<std::string> names;
  for (const OpCase& c : op_cases()) {
    Generator g(1);
    Instance inst = c.build(Size::Small, c.dtypes.front(), g);
    for (const Call& call : inst.calls)
      for (const std::string& k : split_kernels(call.kernel)) names.insert(k);
  }
  return {names.begin(), names.end()};
}

std::vector<Tensor> copy_to(const std::vector<Tensor>& ts, Device device) {
  std::vector<Tensor> out;
  for (const Tensor& t : ts)
    out.push_back(!t.defined() ? Tensor() : device.is_cpu() && t.device().is_cpu() ? t.detach().clone() : t.detach().to(device));
  return out;
}

}  // namespace dien::lab
