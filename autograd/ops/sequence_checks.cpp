// SPDX-License-Identifier: MIT
// Argument checks of the sequence ops (autograd/ops/sequence_checks.h). Every message names the
// op and the tensors involved; a bad length names its row and value.
#include "autograd/ops/sequence_checks.h"

namespace dien::detail {

std::vector<int64_t> check_lengths(const char* op, const Tensor& lengths, const Tensor& x, int64_t B,
                                   int64_t max_len, const char* what) {
  check_defined(op, lengths, "lengths");
  if (!is_integral(lengths.dtype()) || lengths.ndim() != 1 || lengths.size(0) != B)
    fail(op, "lengths must be a 1-D i32 or i64 tensor [B] = [", B, "], got lengths ", lengths.describe(),
         " (input ", x.describe(), ")");
  check_same_device(op, lengths, x);
  Tensor host = lengths.to(Device::cpu()).to(DType::I64);
  std::vector<int64_t> v = host.to_vector<int64_t>();
  for (size_t b = 0; b < v.size(); ++b)
    if (v[b] < 0 || v[b] > max_len)
      fail(op, "length ", v[b], " at row ", b, " is outside [0, ", what, "] = [0, ", max_len, "] (lengths ",
           lengths.describe(), ", input ", x.describe(), ")");
  return v;
}

Tensor lengths_i64(const Tensor& lengths) {
  return lengths.dtype() == DType::I64 ? lengths : lengths.to(DType::I64);
}

namespace {

void check_param(const char* op, const Tensor& t, const Tensor& x, const Shape& want, const char* what) {
  check_same_dtype(op, x, t);
  check_same_device(op, x, t);
  if (t.shape() != want)
    fail(op, what, " must have shape ", want.str(), ", got ", what, " ", t.describe(), " (x ", x.describe(), ")");
}

}  // namespace

RnnDims check_rnn_args(const char* op, RnnCell cell, const Tensor& x, const Tensor& lengths, const Tensor& att,
                       const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                       const Tensor& b_hh) {
  check_defined(op, x, "x");
  check_floating(op, x);
  if (x.ndim() != 3) fail(op, "x must be 3-D [B, T, D], got x ", x.describe());
  RnnDims d;
  d.B = x.size(0);
  d.T = x.size(1);
  d.D = x.size(2);
  check_defined(op, w_hh, "w_hh");
  check_defined(op, w_ih, "w_ih");
  if (w_hh.ndim() != 2 || w_hh.size(0) != 3 * w_hh.size(1))
    fail(op, "w_hh must be [3H, H], got w_hh ", w_hh.describe(), " (x ", x.describe(), ")");
  d.H = w_hh.size(1);
  const Shape g3{3 * d.H};
  check_param(op, w_hh, x, Shape{3 * d.H, d.H}, "w_hh");
  check_param(op, w_ih, x, Shape{3 * d.H, d.D}, "w_ih");
  if (b_ih.defined()) check_param(op, b_ih, x, g3, "b_ih");
  if (b_hh.defined()) check_param(op, b_hh, x, g3, "b_hh");
  if (h0.defined()) check_param(op, h0, x, Shape{d.B, d.H}, "h0");
  if (cell == RnnCell::Gru) {
    if (att.defined())
      fail(op, "att must be undefined for cell ", rnn_cell_name(cell), " (it takes no attention), got att ",
           att.describe());
  } else {
    if (!att.defined())
      fail(op, "att [B, T] = [", d.B, ", ", d.T, "] is required for cell ", rnn_cell_name(cell),
           " (x ", x.describe(), ")");
    check_param(op, att, x, Shape{d.B, d.T}, "att");
  }
  check_lengths(op, lengths, x, d.B, d.T, "T");
  return d;
}

}  // namespace dien::detail
