// SPDX-License-Identifier: MIT
// sequence_mask: the kernel against a naive loop for every length/mask dtype pair, the op's
// shape and its errors for bad lengths.
#include "kernels/dispatch.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::poisoned;
using dien::test::values;

TEST_CASE("sequence_mask: kernel matches a naive loop", "[sequence][cpu]") {
  auto ldt = GENERATE(DType::I32, DType::I64);
  auto mdt = GENERATE(DType::F32, DType::F64, DType::I32, DType::I64);
  auto B = GENERATE(1, 3, 7);
  auto T = GENERATE(1, 5, 33);
  INFO("B=" << B << " T=" << T << " lengths " << dtype_name(ldt) << " mask " << dtype_name(mdt));
  Generator g(61);
  std::vector<int64_t> len(B);
  for (int b = 0; b < B; ++b) len[b] = static_cast<int64_t>(g.randint(T + 1));
  len[0] = T;                 // a full row
  if (B > 1) len[B - 1] = 0;  // an empty row
  Tensor lengths = from_vector(len, {B}).to(ldt);
  Tensor mask = poisoned({B, T}, mdt);
  backend_for(Device::cpu()).sequence_mask(lengths, mask);
  std::vector<double> ref;
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t) ref.push_back(t < len[b] ? 1.0 : 0.0);
  REQUIRE_CLOSE(mask, ref, 0, 0);
  SECTION("the op gives the same mask with shape [B, maxlen]") {
    Tensor m = sequence_mask(lengths, T, mdt);
    REQUIRE(m.shape() == Shape({B, T}));
    REQUIRE(m.dtype() == mdt);
    REQUIRE_CLOSE(m, ref, 0, 0);
  }
}

TEST_CASE("sequence_mask: bad lengths name the op, the row and the value", "[sequence][cpu]") {
  Tensor over = from_vector<int64_t>({2, 3, 7, 1}, {4});
  dien::test::require_error([&] { sequence_mask(over, 5); }, {"sequence_mask", "length 7", "row 2", "[0, 5]"});
  Tensor neg = from_vector<int32_t>({-1, 2}, {2});
  dien::test::require_error([&] { sequence_mask(neg, 5); }, {"sequence_mask", "length -1", "row 0"});
  dien::test::require_error([&] { sequence_mask(from_vector<float>({1, 2}, {2}), 5); },
                            {"sequence_mask", "i32 or i64", "[2] f32 cpu"});
  dien::test::require_error([&] { sequence_mask(from_vector<int64_t>({1, 2}, {1, 2}), 5); },
                            {"sequence_mask", "1-D", "[1, 2] i64 cpu"});
}
