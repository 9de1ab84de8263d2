// SPDX-License-Identifier: MIT
// Tensor basics: factories, dtypes, alignment, views, copies, printing, misuse.
#include <cstdint>

#include "core/allocator_cpu.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::require_error;

TEST_CASE("factories: shape, dtype and values", "[tensor][cpu]") {
  Tensor z = zeros({2, 3}, DType::F64);
  REQUIRE(z.shape() == Shape({2, 3}));
  REQUIRE(z.numel() == 6);
  REQUIRE(z.dtype() == DType::F64);
  REQUIRE(z.device() == Device::cpu());
  REQUIRE(z.to_vector<double>() == std::vector<double>(6, 0.0));
  REQUIRE(ones({4}, DType::I32).to_vector<int32_t>() == std::vector<int32_t>(4, 1));
  REQUIRE(full({2}, -2.5).to_vector<float>() == std::vector<float>{-2.5f, -2.5f});
  REQUIRE(arange(5).to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3, 4});
  REQUIRE(scalar_tensor(3.5).item() == 3.5);
  REQUIRE(scalar_tensor(3.5).shape().size() == 0);
  Tensor v = from_vector<int64_t>({7, 8, 9, 10, 11, 12}, {2, 1, 3});
  REQUIRE(v.size(-1) == 3);
  REQUIRE(v.size(1) == 1);
  REQUIRE(v.to_vector<int64_t>()[5] == 12);
}

TEST_CASE("storage is 64-byte aligned", "[tensor][cpu]") {
  for (int64_t n : {1, 3, 17, 1000}) {
    Tensor t = Tensor::empty({n}, DType::F32);
    REQUIRE(reinterpret_cast<uintptr_t>(t.raw_data()) % cpu::kAlignment == 0);
  }
}

TEST_CASE("reshape is a view; clone is a copy", "[tensor][cpu]") {
  Tensor a = from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor r = a.reshape({3, 2});
  Tensor c = a.clone();
  a.data<double>()[0] = 100;
  REQUIRE(r.to_vector<double>()[0] == 100);
  REQUIRE(c.to_vector<double>()[0] == 1);
  REQUIRE(a.reshape({-1}).shape() == Shape({6}));
  require_error([&] { a.reshape({4, 2}); }, {"reshape", "[2, 3]", "[4, 2]"});
  require_error([&] { a.reshape({-1, -1}); }, {"reshape", "-1"});
}

TEST_CASE("casts between dtypes", "[tensor][cpu]") {
  Tensor f = from_vector<float>({1.75f, -2.25f, 3.0f}, {3});
  REQUIRE(f.to(DType::F64).to_vector<double>() == std::vector<double>{1.75, -2.25, 3.0});
  REQUIRE(f.to(DType::I64).to_vector<int64_t>() == std::vector<int64_t>{1, -2, 3});
  REQUIRE(from_vector<int32_t>({4, 5}).to(DType::F32).to_vector<float>() == std::vector<float>{4, 5});
  REQUIRE(f.to(DType::F32).same(f));
}

TEST_CASE("item, to_vector and data check their dtype and size", "[tensor][cpu]") {
  Tensor f = ones({2});
  require_error([&] { f.item(); }, {"item", "[2] f32 cpu"});
  require_error([&] { f.to_vector<double>(); }, {"to_vector", "f64", "[2] f32 cpu"});
  require_error([&] { f.data<int32_t>(); }, {"data", "i32"});
  require_error([&] { from_vector<float>({1, 2, 3}, {2, 2}); }, {"from_vector", "3 values", "[2, 2]"});
  require_error([&] { ones({2}, DType::I64).set_requires_grad(); }, {"requires_grad", "i64"});
  Tensor undefined;
  require_error([&] { undefined.shape(); }, {"undefined"});
}

TEST_CASE("printing shows values, shape, dtype and device", "[tensor][cpu]") {
  Tensor t = from_vector<float>({1.5f, 2, 3, 4}, {2, 2});
  std::string s = t.str();
  REQUIRE(s.find("[[1.5, 2], [3, 4]]") != std::string::npos);
  REQUIRE(s.find("shape=[2, 2]") != std::string::npos);
  REQUIRE(s.find("dtype=f32") != std::string::npos);
  REQUIRE(s.find("device=cpu") != std::string::npos);
  std::string big = arange(100).str();
  REQUIRE(big.find("...") != std::string::npos);
  REQUIRE(big.find("99") != std::string::npos);
}
