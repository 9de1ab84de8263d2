// SPDX-License-Identifier: MIT
// Differentiable matrix products: matmul (2-D, batched 3-D, 3-D x 2-D) and linear
// (y = x w^T + b as one node). Backwards call the backend gemm directly.
// Derivations: docs/derivations/matmul_shape_softmax.md.
#include "autograd/functions.h"
#include "kernels/dispatch.h"

namespace dien {

namespace {

// Rows / columns of op(t) = t or t^T over the last two dims.
int64_t op_rows(const Tensor& t, bool tr) { return tr ? t.size(-1) : t.size(-2); }
int64_t op_cols(const Tensor& t, bool tr) { return tr ? t.size(-2) : t.size(-1); }

// c = op(a) op(b) into a fresh tensor of shape `out`.
Tensor gemm_new(const Tensor& a, bool ta, const Tensor& b, bool tb, const Shape& out) {
  Tensor c = Tensor::empty(out, a.dtype(), a.device());
  backend_for(a).gemm(a, ta, b, tb, c, 1.0, 0.0);
  return c;
}

// Same-rank product (2-D x 2-D, or 3-D x 3-D with equal batch); shapes already checked.
Tensor matmul_same_rank(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const int64_t M = op_rows(a, ta), N = op_cols(b, tb);
  Shape out = a.ndim() == 3 ? Shape{a.size(0), M, N} : Shape{M, N};
  Tensor c = gemm_new(a, ta, b, tb, out);
  // Save a only if b needs a gradient and vice versa.
  Tensor ad = b.requires_grad() ? a.detach() : Tensor();
  Tensor bd = a.requires_grad() ? b.detach() : Tensor();
  Shape as = a.shape(), bs = b.shape();
  // C = op(A) op(B), G = dL/dC (per batch):
  //   d op(A) = G op(B)^T  ->  gA = G op(B)^T        (ta = false)   or  op(B) G^T   (ta = true)
  //   d op(B) = op(A)^T G  ->  gB = op(A)^T G        (tb = false)   or  G^T op(A)   (tb = true)
  // Each case is one gemm with the transpose flags folded in (no transposed copies).
  return record("matmul", c, {a, b}, [ad, bd, ta, tb, as, bs](const TensorList& g, const Needs& n) {
    Tensor ga, gb;
    if (n[0]) ga = ta ? gemm_new(bd, tb, g[0], true, as) : gemm_new(g[0], false, bd, !tb, as);
    if (n[1]) gb = tb ? gemm_new(g[0], true, ad, ta, bs) : gemm_new(ad, !ta, g[0], false, bs);
    return TensorList{ga, gb};
  });
}

}  // namespace

// a [M,K]|[K,M] or [B,M,K]|[B,K,M]; b [K,N]|[N,K] or [B,K,N]|[B,N,K] -> [M,N] or [B,M,N].
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  check_float_pair("matmul", a, "left operand", b, "right operand");
  const int ra = a.ndim(), rb = b.ndim();
  if (!((ra == 2 && rb == 2) || (ra == 3 && rb == 3) || (ra == 3 && rb == 2)))
    fail("matmul", "expected 2-D x 2-D, 3-D x 3-D or 3-D x 2-D operands, got a ", a.describe(), " and b ",
         b.describe());
  if (op_cols(a, trans_a) != op_rows(b, trans_b))
    fail("matmul", "inner dimensions differ (", op_cols(a, trans_a), " vs ", op_rows(b, trans_b),
         ", trans_a=", trans_a, ", trans_b=", trans_b, "): a ", a.describe(), ", b ", b.describe());
  if (ra == 3 && rb == 3 && a.size(0) != b.size(0))
    fail("matmul", "batch sizes differ: a ", a.describe(), ", b ", b.describe());
  if (ra == rb) return matmul_same_rank(a, b, trans_a, trans_b);
  // 3-D x 2-D: fold the batch into the rows of a (a transposed a is first made contiguous).
  Tensor a3 = trans_a ? transpose(a) : a;
  const int64_t B = a3.size(0), M = a3.size(1), K = a3.size(2);
  Tensor c = matmul_same_rank(a3.reshape({B * M, K}), b, false, trans_b);
  return c.reshape({B, M, c.size(1)});
}

namespace {

// y = x wᵀ + b, then (act non-null) y = act(y) in place: one node, one output tensor. Backward:
// G = dL/dy, through the activation first (relu' from y: y > 0 exactly where x wᵀ + b > 0;
// sigmoid' = y (1 - y)), then
//   gx = G w ([R,H][H,D]),  gw = Gᵀ x ([H,R][R,D]: the sum over all R rows),  gb = 1ᵀ G.
Tensor linear_impl(const char* op, const Tensor& x, const Tensor& w, const Tensor& b, const UnaryOp* act,
                   const Tensor& init = Tensor()) {
  check_float_pair(op, x, "input", w, "weight");
  if (x.ndim() != 2 && x.ndim() != 3)
    fail(op, "input must be 2-D or 3-D [..., D], got x ", x.describe(), " (weight ", w.describe(), ")");
  if (w.ndim() != 2 || w.size(1) != x.size(-1))
    fail(op, "weight must be [H, D] with D = x.size(-1), got x ", x.describe(), ", weight ", w.describe());
  const int64_t D = x.size(-1), H = w.size(0), R = x.ndim() == 3 ? x.size(0) * x.size(1) : x.size(0);
  if (b.defined()) {
    check_same_dtype(op, b, w);
    check_same_device(op, b, w);
    if (b.shape() != Shape{H})
      fail(op, "bias must be [H] = [", H, "], got bias ", b.describe(), " (weight ", w.describe(), ")");
  }
  int64_t Ri = R;  // rows of init: y's row r adds init's row r mod Ri
  if (init.defined()) {
    check_same_dtype(op, init, w);
    check_same_device(op, init, w);
    if (b.defined()) fail(op, "takes a bias or an init term, not both");
    if (init.ndim() != 2 || init.size(1) != H || init.size(0) == 0 || R % init.size(0) != 0)
      fail(op, "init must be [Ri, H] with H = ", H, " and Ri dividing the ", R, " rows of x ", x.describe(),
           ", got init ", init.describe());
    Ri = init.size(0);
  }
  std::vector<int64_t> ys = x.shape().vec();
  ys.back() = H;
  Tensor y = Tensor::empty(Shape(ys), x.dtype(), x.device());
  Tensor y2 = y.reshape({R, H});  // view: the gemm writes into y
  Tensor x2 = x.detach().reshape({R, D});
  Backend& be = backend_for(x);
  be.linear_forward(x2, w, b.defined() ? &b : nullptr, act, y2, init.defined() ? &init : nullptr);  // act(x wᵀ + b)
  Tensor xd = w.requires_grad() ? x2 : Tensor();
  Tensor wd = x.requires_grad() ? w.detach() : Tensor();
  Tensor yd = act ? y.detach() : Tensor();
  const bool has_act = act != nullptr;
  const UnaryOp a = act ? *act : UnaryOp::Relu;
  Shape xs = x.shape();
  return record(op, y, {x, w, b, init}, [xd, wd, yd, has_act, a, xs, R, D, H, Ri](const TensorList& g, const Needs& n) {
    Tensor g2 = g[0].reshape({R, H});
    Backend& be = backend_for(g2);
    if (has_act) {  // through the activation, from its output
      Tensor pre = Tensor::empty({R, H}, g2.dtype(), g2.device());
      const Tensor y2 = yd.reshape({R, H});
      be.unary_backward(a, y2, y2, g2, pre, 0.0);
      g2 = pre;
    }
    Tensor gx, gw, gb;
    if (n[0]) {
      gx = Tensor::empty(xs, g2.dtype(), g2.device());
      Tensor gx2 = gx.reshape({R, D});
      be.gemm(g2, false, wd, false, gx2, 1.0, 0.0);
    }
    if (n[1]) {
      gw = Tensor::empty({H, D}, g2.dtype(), g2.device());
      be.gemm(g2, true, xd, false, gw, 1.0, 0.0);
    }
    if (n[2]) {
      gb = Tensor::empty({H}, g2.dtype(), g2.device());
      be.sum_to(g2, gb, 0.0);
    }
    Tensor gi;  // init's gradient: G summed over the groups of Ri rows
    if (n.size() > 3 && n[3]) {
      if (Ri == R) {
        gi = g2;
      } else {
        gi = Tensor::empty({Ri, H}, g2.dtype(), g2.device());
        be.sum_to(g2.reshape({R / Ri, Ri, H}), gi, 0.0);
      }
    }
    return TensorList{gx, gw, gb, gi};
  });
}

}  // namespace

// x [..., D] (2-D or 3-D), w [H, D], b [H] or undefined -> y [..., H].
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) { return linear_impl("linear", x, w, b, nullptr); }

// init + x wᵀ, init [Ri, H] added to every group of Ri rows (x [R, D] or [B, T, D] as rows).
Tensor linear_add(const Tensor& x, const Tensor& w, const Tensor& init) {
  check_defined("linear_add", init, "init");
  return linear_impl("linear_add", x, w, Tensor(), nullptr, init);
}

// act(x wᵀ + b) for act = Relu or Sigmoid: linear then the activation, in one node and one tensor.
Tensor linear_act(const Tensor& x, const Tensor& w, const Tensor& b, UnaryOp act) {
  if (act != UnaryOp::Relu && act != UnaryOp::Sigmoid)
    fail("linear_act", "the activation must be relu or sigmoid, got ", unary_op_name(act));
  return linear_impl("linear_act", x, w, b, &act);
}

}  // namespace dien
