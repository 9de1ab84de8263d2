// SPDX-License-Identifier: MIT
// Default implementations of the Backend kernels that compose others (kernels/backend.h).
#include "kernels/backend.h"

#include "core/tensor.h"

namespace dien {

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

}  // namespace dien
