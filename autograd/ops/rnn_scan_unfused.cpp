// SPDX-License-Identifier: MIT
// rnn_scan_unfused: the recurrent scans composed step by step from primitive differentiable ops
// (linear, slice, chunk, sigmoid, tanh, mul, add, rsub, concat, unsqueeze and a 0/1 mask column
// per step built from lengths), exactly the way a framework runs an RNN cell in a Python loop
// (DeepCTR-Torch's DynamicGRU, the authors' TF dynamic_rnn). It is the test oracle of the
// fused rnn_scan and the baseline of its benchmark: same arguments, same results, and its
// gradients come from the autograd engine (hundreds of small nodes) instead of one reverse scan.
//
// Per step t, with m [B,1] = 1 if t < lengths[b] else 0:
//   h' = cell(x_t, h, a_t)                                  (see kernels/backend.h)
//   out_t = m ⊙ h'            (zero output at padded steps)
//   h     = m ⊙ h' + (1-m) ⊙ h (the state is carried unchanged through padded steps)
// so the masked steps contribute exactly 0 to every gradient (as long as padded inputs are finite).
#include "autograd/functions.h"
#include "autograd/ops/sequence_checks.h"

namespace dien {

RnnOutput rnn_scan_unfused(RnnCell cell, const Tensor& x, const Tensor& lengths, const Tensor& att,
                           const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                           const Tensor& b_hh, GateLayout layout) {
  const detail::RnnDims d =
      detail::check_rnn_args("rnn_scan_unfused", cell, x, lengths, att, h0, w_ih, w_hh, b_ih, b_hh);
  const int64_t B = d.B, T = d.T, D = d.D, H = d.H;
  const DType dt = x.dtype();
  const Device dev = x.device();
  const bool lbr = layout == GateLayout::LinearBeforeReset;
  const Tensor mask = sequence_mask(lengths, T, dt);  // [B,T], a constant

  // ResetBeforeLinear multiplies r into h before the n rows of W_hh: split W_hh and b_hh once.
  Tensor w_rz, w_n, b_rz, b_n;
  if (!lbr) {
    w_rz = slice(w_hh, 0, 0, 2 * H);
    w_n = slice(w_hh, 0, 2 * H, 3 * H);
    if (b_hh.defined()) {
      b_rz = slice(b_hh, 0, 0, 2 * H);
      b_n = slice(b_hh, 0, 2 * H, 3 * H);
    }
  }

  Tensor h = h0.defined() ? h0 : zeros({B, H}, dt, dev);
  TensorList outs;
  for (int64_t t = 0; t < T; ++t) {
    Tensor xt = reshape(slice(x, 1, t, t + 1), {B, D});  // [B,D]
    Tensor m = slice(mask, 1, t, t + 1);                  // [B,1]
    TensorList gi = chunk(linear(xt, w_ih, b_ih), 3, 1);  // i_r | i_z | i_n, each [B,H]
    Tensor r, z, n;
    if (lbr) {
      TensorList gh = chunk(linear(h, w_hh, b_hh), 3, 1);  // h_r | h_z | h_n
      r = sigmoid(gi[0] + gh[0]);
      if (cell != RnnCell::Agru) z = sigmoid(gi[1] + gh[1]);
      n = tanh(gi[2] + r * gh[2]);
    } else {
      TensorList gh = chunk(linear(h, w_rz, b_rz), 2, 1);  // h_r | h_z
      r = sigmoid(gi[0] + gh[0]);
      if (cell != RnnCell::Agru) z = sigmoid(gi[1] + gh[1]);
      n = tanh(gi[2] + linear(r * h, w_n, b_n));
    }
    Tensor a = cell == RnnCell::Gru ? Tensor() : slice(att, 1, t, t + 1);  // [B,1]
    Tensor hn;
    switch (cell) {
      case RnnCell::Gru:  // h' = z h + (1-z) n
        hn = z * h + rsub(z, 1.0) * n;
        break;
      case RnnCell::AugruPaper: {  // u = a z, h' = (1-u) h + u n
        Tensor u = a * z;
        hn = rsub(u, 1.0) * h + u * n;
        break;
      }
      case RnnCell::AugruReference: {  // k = (1-a) z, h' = k h + (1-k) n
        Tensor k = rsub(a, 1.0) * z;
        hn = k * h + rsub(k, 1.0) * n;
        break;
      }
      case RnnCell::Agru:  // h' = (1-a) h + a n
        hn = rsub(a, 1.0) * h + a * n;
        break;
    }
    Tensor out = m * hn;
    outs.push_back(unsqueeze(out, 1));  // [B,1,H]
    h = out + rsub(m, 1.0) * h;
  }
  Tensor states = T > 0 ? concat(outs, 1) : zeros({B, 0, H}, dt, dev);
  return {states, h};
}

}  // namespace dien
