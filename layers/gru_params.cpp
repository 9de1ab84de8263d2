// SPDX-License-Identifier: MIT
#include "layers/gru_params.h"

namespace dien {

GruParams::GruParams(int64_t input_size, int64_t hidden_size, const std::string& suffix, bool cell_bias,
                     init::Initializer& init)
    : input_(input_size), hidden_(hidden_size) {
  if (input_size <= 0 || hidden_size <= 0)
    fail("GruParams", "input_size and hidden_size must be positive, got ", input_size, ", ", hidden_size);
  w_ih_ = register_parameter("weight_ih" + suffix, init.recurrent_ih(hidden_size, input_size));
  w_hh_ = register_parameter("weight_hh" + suffix, init.recurrent_hh(hidden_size));
  b_ih_ = register_parameter("bias_ih" + suffix, init.recurrent_bias(hidden_size, cell_bias));
  b_hh_ = register_parameter("bias_hh" + suffix, init.recurrent_bias(hidden_size, cell_bias));
}

RnnOutput GruParams::scan(RnnCell cell, const Tensor& x, const Tensor& lengths, const Tensor& att, GateLayout layout,
                          bool fused) const {
  if (fused) return rnn_scan(cell, x, lengths, att, Tensor(), w_ih_, w_hh_, b_ih_, b_hh_, layout);
  return rnn_scan_unfused(cell, x, lengths, att, Tensor(), w_ih_, w_hh_, b_ih_, b_hh_, layout);
}

}  // namespace dien
