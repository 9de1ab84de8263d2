// SPDX-License-Identifier: MIT
// The fused recurrent scans as differentiable ops: rnn_scan (GRU / AUGRU paper / AUGRU
// reference / AGRU, both gate layouts) and aigru_scan (a GRU over att ⊙ x).
//
// rnn_scan is one autograd node with two outputs (states, last):
//   forward : the backend's rnn_scan_forward_x: gi = x W_ihᵀ + b_ih (one GEMM over all B·T
//             steps, or on the CPU in f32 per row block and step, in cache) and the scan; in
//             training it also saves the gate workspace ws [B,T,4H],
//             in inference (NoGradGuard, or no input requiring grad) it saves nothing.
//   backward: the backend's rnn_scan_backward (reverse scan: g_gi, g_h0, g_att, g_w_hh, g_b_hh),
//             then g_x = g_gi W_ih, g_w_ih = g_giᵀ x (GEMMs over all B·T rows) and
//             g_b_ih = column sums of g_gi.
// Derivations: docs/gradients.md.
#include "autograd/functions.h"
#include "autograd/ops/sequence_checks.h"
#include "kernels/dispatch.h"

namespace dien {

// x [B,T,D], lengths [B], att [B,T] (attention cells) or undefined, h0 [B,H] or undefined,
// w_ih [3H,D], w_hh [3H,H], b_ih/b_hh [3H] or undefined -> states [B,T,H], last [B,H].
RnnOutput rnn_scan(RnnCell cell, const Tensor& x, const Tensor& lengths, const Tensor& att, const Tensor& h0,
                   const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
                   GateLayout layout) {
  const detail::RnnDims d = detail::check_rnn_args("rnn_scan", cell, x, lengths, att, h0, w_ih, w_hh, b_ih, b_hh);
  const int64_t B = d.B, T = d.T, D = d.D, H = d.H, R = B * T;
  const DType dt = x.dtype();
  const Device dev = x.device();
  Backend& be = backend_for(x);
  const Tensor len = detail::lengths_i64(lengths);

  const TensorList inputs{x, att, h0, w_ih, w_hh, b_ih, b_hh};
  const bool training = should_record(inputs);
  Tensor states = Tensor::empty({B, T, H}, dt, dev), last = Tensor::empty({B, H}, dt, dev);
  Tensor ws = training ? Tensor::empty({B, T, kRnnWorkspaceGates * H}, dt, dev) : Tensor();
  auto opt = [](const Tensor& t) { return t.defined() ? &t : nullptr; };
  // gi = x W_ihᵀ + b_ih is formed by the backend (one GEMM up front, or step by step in cache).
  Tensor x2 = x.detach().reshape({R, D});
  be.rnn_scan_forward_x(cell, layout, x2.reshape({B, T, D}), w_ih, opt(b_ih), len, opt(att), opt(h0), w_hh, opt(b_hh), states,
                        last, training ? &ws : nullptr);

  TensorList outs{states, last};
  if (!training) return {states, last};

  // Saved for backward (detached: the node must not own its outputs' history).
  auto keep = [](const Tensor& t) { return t.defined() ? t.detach() : Tensor(); };
  Tensor xs = w_ih.requires_grad() ? x2 : Tensor();          // for g_w_ih
  Tensor wih = x.requires_grad() ? w_ih.detach() : Tensor();  // for g_x
  // Inputs 0..6: x, att, h0, w_ih, w_hh, b_ih, b_hh; outputs 0..1: states, last.
  // With G = g_gi as [R,3H] (R = B·T rows; zero at padded steps):
  //   gi = x2 W_ihᵀ + 1 b_ihᵀ  =>  g_x = G W_ih,  g_w_ih = Gᵀ x2,  g_b_ih = 1ᵀ G
  // and everything behind gi (the recurrence) is the kernel's reverse scan.
  record_multi("rnn_scan", outs, inputs,
               [cell, layout, len, att = keep(att), h0 = keep(h0), whh = w_hh.detach(), bhh = keep(b_hh),
                st = states.detach(), ws, xs, wih, B, T, D, H](const TensorList& g, const Needs& n) {
                 Backend& be = backend_for(g[0]);
                 const DType dt = g[0].dtype();
                 const Device dev = g[0].device();
                 Tensor g_att = n[1] ? Tensor::empty({B, T}, dt, dev) : Tensor();
                 Tensor g_h0 = n[2] ? Tensor::empty({B, H}, dt, dev) : Tensor();
                 Tensor g_whh = n[4] ? Tensor::empty({3 * H, H}, dt, dev) : Tensor();
                 Tensor g_bhh = n[6] ? Tensor::empty({3 * H}, dt, dev) : Tensor();
                 Tensor g_x = n[0] ? Tensor::empty({B, T, D}, dt, dev) : Tensor();
                 Tensor g_wih = n[3] ? Tensor::empty({3 * H, D}, dt, dev) : Tensor();
                 Tensor g_bih = n[5] ? Tensor::empty({3 * H}, dt, dev) : Tensor();
                 auto opt = [](const Tensor& t) { return t.defined() ? &t : nullptr; };
                 auto out = [](Tensor& t) { return t.defined() ? &t : nullptr; };
                 const Tensor x3 = xs.defined() ? xs.reshape({B, T, D}) : Tensor();
                 // The reverse scan, then g_x = G W_ih, g_w_ih = Gᵀ x, g_b_ih = 1ᵀ G (G = g_gi).
                 be.rnn_scan_backward_x(cell, layout, opt(x3), opt(wih), len, opt(att), opt(h0), whh, opt(bhh), st, ws,
                                        &g[0], &g[1], out(g_x), out(g_h0), out(g_att), out(g_wih), out(g_bih),
                                        out(g_whh), out(g_bhh));
                 return TensorList{g_x, g_att, g_h0, g_wih, g_whh, g_bih, g_bhh};
               });
  return {outs[0], outs[1]};
}

// AIGRU: the attention scales the input, x̃_t = a_t x_t, and a plain GRU runs over x̃.
// Composed (mul then rnn_scan), so its backward is the chain rule: g_x = g_x̃ a,
// g_a[b,t] = Σ_d g_x̃[b,t,d] x[b,t,d] (both 0 at padded steps, where g_x̃ = 0).
RnnOutput aigru_scan(const Tensor& x, const Tensor& lengths, const Tensor& att, const Tensor& h0,
                     const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
                     GateLayout layout, bool fused) {
  // Validate everything (as an attention cell, so att [B,T] is required) before composing.
  if (!att.defined())
    fail("aigru_scan", "att [B, T] is required (AIGRU scales each input step by its attention), x ",
         x.defined() ? x.describe() : std::string("undefined"));
  detail::check_rnn_args("aigru_scan", RnnCell::AugruPaper, x, lengths, att, h0, w_ih, w_hh, b_ih, b_hh);
  Tensor xa = mul(x, unsqueeze(att, -1));  // [B,T,D] * [B,T,1]
  if (fused) return rnn_scan(RnnCell::Gru, xa, lengths, Tensor(), h0, w_ih, w_hh, b_ih, b_hh, layout);
  return rnn_scan_unfused(RnnCell::Gru, xa, lengths, Tensor(), h0, w_ih, w_hh, b_ih, b_hh, layout);
}

}  // namespace dien
