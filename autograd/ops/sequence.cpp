// SPDX-License-Identifier: MIT
// sequence_mask: the [B, maxlen] padding mask of variable-length sequences (not differentiable:
// its input is integer lengths). Lengths are checked on the host so that a bad one is named.
#include <vector>

#include "autograd/functions.h"
#include "kernels/dispatch.h"

namespace dien {

namespace {

template <class I>
void check_lengths(const Tensor& lengths, int64_t maxlen) {
  std::vector<I> v = lengths.to(Device::cpu()).to_vector<I>();
  for (size_t b = 0; b < v.size(); ++b)
    if (v[b] < 0 || static_cast<int64_t>(v[b]) > maxlen)
      fail("sequence_mask", "length ", static_cast<int64_t>(v[b]), " at row ", b, " is outside [0, ", maxlen,
           "] (maxlen ", maxlen, ", lengths ", lengths.describe(), ")");
}

}  // namespace

Tensor sequence_mask(const Tensor& lengths, int64_t maxlen, DType dtype) {
  check_defined("sequence_mask", lengths, "lengths");
  if (!is_integral(lengths.dtype()) || lengths.ndim() != 1)
    fail("sequence_mask", "lengths must be a 1-D i32 or i64 tensor [B], got ", lengths.describe());
  if (maxlen < 0) fail("sequence_mask", "maxlen must be >= 0, got ", maxlen);
  if (lengths.dtype() == DType::I32) check_lengths<int32_t>(lengths, maxlen);
  else check_lengths<int64_t>(lengths, maxlen);
  Tensor mask = Tensor::empty({lengths.shape()[0], maxlen}, dtype, lengths.device());
  backend_for(lengths).sequence_mask(lengths, mask);
  return mask;
}

}  // namespace dien
