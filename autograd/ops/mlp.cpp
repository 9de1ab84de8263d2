// SPDX-License-Identifier: MIT
// mlp: a stack of Linear layers as one node. y_i = act_i(y_{i-1} W_iᵀ + b_i), y_{-1} = x; layer 0
// may start from an init term instead of its bias (as linear_add). The forward is
// Backend::linear_forward layer by layer: the values of a chain of linear / linear_act nodes. The
// backward walks the layers down with G_i = dL/d(pre-activation of layer i):
//   G_last = dL/dy ⊙ act'_last(y_last)                      (a pass, on the narrowest layer)
//   dW_i = G_iᵀ y_{i-1},  db_i = 1ᵀ G_i
//   G_{i-1} = (G_i W_i) ⊙ act'_{i-1}(y_{i-1})               (Backend::matmul_dact: in the product)
//   dx = G_0 W_0,  d init = G_0 summed over the groups of Ri rows
// so no activation's backward is a pass of its own over a hidden layer, as it is in the chain
// (where the next node's input gradient is written, then read again by the activation).
// Derivation: docs/derivations/matmul_shape_softmax.md ("mlp").
#include "autograd/functions.h"
#include "kernels/dispatch.h"

namespace dien {

Tensor mlp(const Tensor& x, const Tensor& init, const std::vector<MlpLayer>& layers) {
  const char* op = "mlp";
  if (layers.empty()) fail(op, "needs at least one layer");
  check_float_pair(op, x, "input", layers[0].w, "weight 0");
  if (x.ndim() != 2 && x.ndim() != 3) fail(op, "input must be 2-D or 3-D [..., D], got x ", x.describe());
  const int L = static_cast<int>(layers.size());
  const int64_t R = x.ndim() == 3 ? x.size(0) * x.size(1) : x.size(0);
  std::vector<int64_t> width(static_cast<size_t>(L) + 1);  // width[i]: layer i's input width
  width[0] = x.size(-1);
  for (int i = 0; i < L; ++i) {
    const MlpLayer& l = layers[static_cast<size_t>(i)];
    check_defined(op, l.w, "a weight");
    check_same_dtype(op, l.w, x);
    check_same_device(op, l.w, x);
    if (l.w.ndim() != 2 || l.w.size(1) != width[static_cast<size_t>(i)])
      fail(op, "layer ", i, ": weight must be [H, ", width[static_cast<size_t>(i)], "], got ", l.w.describe(),
           " (input x ", x.describe(), ")");
    width[static_cast<size_t>(i) + 1] = l.w.size(0);
    if (l.b.defined()) {
      check_same_dtype(op, l.b, x);
      check_same_device(op, l.b, x);
      if (l.b.shape() != Shape{l.w.size(0)})
        fail(op, "layer ", i, ": bias must be [", l.w.size(0), "], got ", l.b.describe());
    }
    if (l.act && *l.act != UnaryOp::Relu && *l.act != UnaryOp::Sigmoid)
      fail(op, "layer ", i, ": the activation must be relu, sigmoid or none, got ", unary_op_name(*l.act));
  }
  int64_t Ri = R;  // rows of init: layer 0's row r adds init's row r mod Ri
  if (init.defined()) {
    check_same_dtype(op, init, x);
    check_same_device(op, init, x);
    if (layers[0].b.defined()) fail(op, "layer 0 takes a bias or an init term, not both");
    const int64_t H0 = width[1];
    if (init.ndim() != 2 || init.size(1) != H0 || init.size(0) == 0 || R % init.size(0) != 0)
      fail(op, "init must be [Ri, ", H0, "] with Ri dividing the ", R, " rows of x ", x.describe(), ", got init ",
           init.describe());
    Ri = init.size(0);
  }

  Backend& be = backend_for(x);
  std::vector<int64_t> out_shape = x.shape().vec();
  out_shape.back() = width.back();
  Tensor y = Tensor::empty(Shape(out_shape), x.dtype(), x.device());
  std::vector<Tensor> ys(static_cast<size_t>(L)), ws(static_cast<size_t>(L));
  std::vector<std::optional<UnaryOp>> acts(static_cast<size_t>(L));
  Tensor h = x.detach().reshape({R, width[0]});
  const Tensor xd = layers[0].w.requires_grad() ? h : Tensor();
  for (int i = 0; i < L; ++i) {
    const MlpLayer& l = layers[static_cast<size_t>(i)];
    const int64_t H = width[static_cast<size_t>(i) + 1];
    Tensor yi = i + 1 == L ? y.reshape({R, H}) : Tensor::empty({R, H}, x.dtype(), x.device());
    const Tensor wd = l.w.detach(), bd = l.b.defined() ? l.b.detach() : Tensor();
    const Tensor idd = i == 0 && init.defined() ? init.detach() : Tensor();
    be.linear_forward(h, wd, bd.defined() ? &bd : nullptr, l.act ? &*l.act : nullptr, yi,
                      idd.defined() ? &idd : nullptr);
    ys[static_cast<size_t>(i)] = yi;
    ws[static_cast<size_t>(i)] = wd;
    acts[static_cast<size_t>(i)] = l.act;
    h = yi;
  }
  if (!acts.back()) ys.back() = Tensor();  // only the hidden layers' outputs and an activated last one are read

  TensorList inputs{x, init};
  for (const MlpLayer& l : layers) {
    inputs.push_back(l.w);
    inputs.push_back(l.b);
  }
  const Shape xs = x.shape();
  return record(op, y, inputs, [xd, ys, ws, acts, width, xs, R, Ri](const TensorList& g, const Needs& n) {
    const int L = static_cast<int>(ws.size());
    Backend& be = backend_for(g[0]);
    const DType dt = g[0].dtype();
    const Device dev = g[0].device();
    // below[i]: whether anything under layer i (its input, init, the lower layers' parameters)
    // needs a gradient, i.e. whether G_{i-1} is wanted.
    std::vector<bool> below(static_cast<size_t>(L) + 1, false);
    bool any = n[0] || n[1];
    for (int i = 0; i <= L; ++i) {
      below[static_cast<size_t>(i)] = any;
      if (i < L) any = any || n[2 + 2 * static_cast<size_t>(i)] || n[3 + 2 * static_cast<size_t>(i)];
    }
    TensorList out(2 + 2 * static_cast<size_t>(L));
    Tensor G = g[0].reshape({R, width.back()});
    if (acts.back()) {  // through the last activation: the one pass of its own
      Tensor pre = Tensor::empty({R, width.back()}, dt, dev);
      be.unary_backward(*acts.back(), ys.back(), ys.back(), G, pre, 0.0);
      G = pre;
    }
    for (int i = L - 1; i >= 0; --i) {
      const size_t u = static_cast<size_t>(i);
      const int64_t H = width[u + 1], D = width[u];
      if (n[2 + 2 * u]) {
        Tensor gw = Tensor::empty({H, D}, dt, dev);
        be.gemm(G, true, i > 0 ? ys[u - 1] : xd, false, gw, 1.0, 0.0);
        out[2 + 2 * u] = gw;
      }
      if (n[3 + 2 * u]) {
        Tensor gb = Tensor::empty({H}, dt, dev);
        be.sum_to(G, gb, 0.0);
        out[3 + 2 * u] = gb;
      }
      if (i > 0) {
        if (!below[u]) break;
        Tensor Gp = Tensor::empty({R, D}, dt, dev);
        if (acts[u - 1]) be.matmul_dact(G, ws[u], ys[u - 1], *acts[u - 1], Gp);
        else be.gemm(G, false, ws[u], false, Gp, 1.0, 0.0);
        G = Gp;
        continue;
      }
      if (n[0]) {
        Tensor gx = Tensor::empty(xs, dt, dev);
        Tensor gx2 = gx.reshape({R, D});
        be.gemm(G, false, ws[0], false, gx2, 1.0, 0.0);
        out[0] = gx;
      }
      if (n[1]) {
        if (Ri == R) {
          out[1] = G;
        } else {
          Tensor gi = Tensor::empty({Ri, H}, dt, dev);
          be.sum_to(G.reshape({R / Ri, Ri, H}), gi, 0.0);
          out[1] = gi;
        }
      }
    }
    return out;
  });
}

}  // namespace dien
