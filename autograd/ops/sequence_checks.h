// SPDX-License-Identifier: MIT
// Validation shared by the sequence ops (rnn_scan, rnn_scan_unfused, aigru_scan,
// attention_weights, aux_bce): lengths checked on the host so that a bad one is named with its
// row, and the full argument check of the recurrent scans. Internal to autograd/ops.
#pragma once
#include <cstdint>
#include <vector>

#include "autograd/functions.h"

namespace dien::detail {

// lengths: defined, 1-D i32/i64 of size B, on x's device, every value in [0, max_len]
// (`what` names the bound in the message, e.g. "T"). Returns the values on the host.
std::vector<int64_t> check_lengths(const char* op, const Tensor& lengths, const Tensor& x, int64_t B,
                                   int64_t max_len, const char* what);
// lengths as i64 (the kernels' dtype); the tensor itself when it already is.
Tensor lengths_i64(const Tensor& lengths);

struct RnnDims {
  int64_t B = 0, T = 0, D = 0, H = 0;
};
// Checks every argument of rnn_scan (see autograd/functions.h) and returns the sizes:
// x [B,T,D] floating; lengths [B] i32/i64 in [0,T]; att [B,T] required for the attention
// cells and rejected for Gru; h0 [B,H]; w_ih [3H,D]; w_hh [3H,H]; b_ih, b_hh [3H]; one dtype,
// one device.
RnnDims check_rnn_args(const char* op, RnnCell cell, const Tensor& x, const Tensor& lengths, const Tensor& att,
                       const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                       const Tensor& b_hh);

}  // namespace dien::detail
