// SPDX-License-Identifier: MIT
// Default implementations of the Backend kernels that compose others (kernels/backend.h).
#include "kernels/backend.h"

#include "core/tensor.h"

namespace dien {

void Backend::linear_forward(const Tensor& x, const Tensor& w, const Tensor* b, const UnaryOp* act, Tensor& y,
                             const Tensor* init) {
  if (init && init->size(0) != y.size(0)) {  // groups of init's rows: [G, Ri, H] from [1, Ri, H]
    const int64_t Ri = init->size(0), H = y.size(1);
    Tensor yg = y.reshape({y.size(0) / Ri, Ri, H});
    expand(init->reshape({1, Ri, H}), yg);
    gemm(x, false, w, true, y, 1.0, 1.0);
  } else if (b || init) {
    expand(init ? *init : *b, y);          // every row starts as b (or its init row) ...
    gemm(x, false, w, true, y, 1.0, 1.0);  // ... and accumulates x wᵀ
  } else {
    gemm(x, false, w, true, y, 1.0, 0.0);
  }
  if (act) unary_forward(*act, y, y);  // in place: elementwise
}

void Backend::matmul_dact(const Tensor& g, const Tensor& w, const Tensor& y, UnaryOp act, Tensor& gx) {
  gemm(g, false, w, false, gx, 1.0, 0.0);
  unary_backward(act, y, y, gx, gx, 0.0);  // in place: elementwise
}

void Backend::gather_rows_backward(const Tensor& gy, const Tensor& ids, Tensor& gw) {
  fill(gw, 0.0);
  embedding_scatter(gy, ids, gw);
}

void Backend::adam_step_rows(Tensor& param, const Tensor& index, const Tensor& grad_rows, Tensor& exp_avg,
                             Tensor& exp_avg_sq, int64_t step, double lr, double beta1, double beta2, double eps,
                             double weight_decay) {
  const int64_t k = index.numel();
  if (k == 0) return;
  auto gather = [&](const Tensor& t) {
    Tensor out = Tensor::empty(Shape{k, t.size(1)}, t.dtype(), t.device());
    embedding_forward(t, index, out);
    return out;
  };
  Tensor p = gather(param), m = gather(exp_avg), v = gather(exp_avg_sq);
  adam_step(p, grad_rows, m, v, step, lr, beta1, beta2, eps, weight_decay);
  embedding_scatter(p, index, param);
  embedding_scatter(m, index, exp_avg);
  embedding_scatter(v, index, exp_avg_sq);
}

void Backend::rnn_scan_forward_x(RnnCell cell, GateLayout layout, const Tensor& x, const Tensor& w_ih,
                                 const Tensor* b_ih, const Tensor& lengths, const Tensor* att, const Tensor* h0,
                                 const Tensor& w_hh, const Tensor* b_hh, Tensor& states, Tensor& last, Tensor* ws) {
  const int64_t B = x.size(0), T = x.size(1), D = x.size(2), H3 = w_ih.size(0);
  Tensor gi = Tensor::empty({B, T, H3}, x.dtype(), x.device());
  Tensor gi2 = gi.reshape({B * T, H3});
  if (b_ih) expand(*b_ih, gi2);
  gemm(x.reshape({B * T, D}), false, w_ih, true, gi2, 1.0, b_ih ? 1.0 : 0.0);
  rnn_scan_forward(cell, layout, gi, lengths, att, h0, w_hh, b_hh, states, last, ws);
}

void Backend::rnn_scan_backward_x(RnnCell cell, GateLayout layout, const Tensor* x, const Tensor* w_ih,
                                  const Tensor& lengths, const Tensor* att, const Tensor* h0, const Tensor& w_hh,
                                  const Tensor* b_hh, const Tensor& states, const Tensor& ws, const Tensor* g_states,
                                  const Tensor* g_last, Tensor* g_x, Tensor* g_h0, Tensor* g_att, Tensor* g_w_ih,
                                  Tensor* g_b_ih, Tensor* g_w_hh, Tensor* g_b_hh) {
  const int64_t B = states.size(0), T = states.size(1), H = states.size(2), R = B * T;
  Tensor g_gi = Tensor::empty({B, T, 3 * H}, states.dtype(), states.device());
  // (g_gi stands in for gi: the kernel reads only its shape)
  rnn_scan_backward(cell, layout, g_gi, lengths, att, h0, w_hh, b_hh, states, ws, g_states, g_last, g_gi, g_h0, g_att,
                    g_w_hh, g_b_hh);
  const Tensor G = g_gi.reshape({R, 3 * H});
  if (g_x) {
    Tensor g_x2 = g_x->reshape({R, w_ih->size(1)});
    gemm(G, false, *w_ih, false, g_x2, 1.0, 0.0);  // [R,3H] x [3H,D]
  }
  if (g_w_ih) gemm(G, true, x->reshape({R, x->size(2)}), false, *g_w_ih, 1.0, 0.0);  // [3H,R] x [R,D]
  if (g_b_ih) sum_to(G, *g_b_ih, 0.0);
}

}  // namespace dien
