// SPDX-License-Identifier: MIT
// Dropout: the mask kernel reproduces the Philox stream convention of core/philox.h bit for bit,
// is deterministic in (seed, offset), keeps about 1-p of a large tensor and scales by 1/(1-p);
// the op draws from the generator, multiplies by the same mask in backward, and checks p.
#include "core/philox.h"
#include "kernels/dispatch.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::poisoned;
using dien::test::rand_tensor;
using dien::test::values;

namespace {

// The convention written out: element i takes word i % 4 of Philox(counter = offset + i / 4,
// key = seed), mapped to a uniform of the mask's type; kept iff u >= p (compared in that type).
std::vector<double> mask_ref(int64_t n, DType dt, double p, uint64_t seed, uint64_t offset) {
  std::vector<double> m(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    uint32_t w = philox::philox4x32_10(offset + static_cast<uint64_t>(i) / 4, seed).v[i % 4];
    bool keep = dt == DType::F32 ? philox::to_unit_float(w) >= static_cast<float>(p) : philox::to_unit_double(w) >= p;
    double scale = dt == DType::F32 ? static_cast<double>(static_cast<float>(1.0 / (1.0 - p))) : 1.0 / (1.0 - p);
    m[i] = keep ? scale : 0.0;
  }
  return m;
}

}  // namespace

TEST_CASE("dropout: the mask kernel follows the Philox stream convention", "[dropout][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto dims = GENERATE(values<std::vector<int64_t>>({{1}, {7}, {1, 3}, {5, 33}, {2, 3, 65}}));
  auto p = GENERATE(0.1, 0.5, 0.9);
  auto offset = GENERATE(uint64_t{0}, uint64_t{5}, uint64_t{1} << 40);
  Shape s(dims);
  const uint64_t seed = 0x123456789abcdefull;
  INFO("shape " << s.str() << " " << dtype_name(dt) << " p=" << p << " offset=" << offset);
  Tensor m = poisoned(s, dt);
  backend_for(Device::cpu()).dropout_mask(m, p, seed, offset);
  REQUIRE_CLOSE(m, mask_ref(s.numel(), dt, p, seed, offset), 0, 0);
  // The stream convention restated through philox::word, the header's own accessor.
  auto mv = values(m);
  for (int64_t i = 0; i < s.numel(); ++i) {
    uint32_t w = philox::word(seed, offset, static_cast<uint64_t>(i));
    double u = dt == DType::F32 ? philox::to_unit_float(w) : philox::to_unit_double(w);
    INFO("element " << i);
    REQUIRE((mv[i] != 0.0) == (dt == DType::F32 ? static_cast<float>(u) >= static_cast<float>(p) : u >= p));
  }
}

TEST_CASE("dropout: masks are deterministic in (seed, offset) and differ otherwise", "[dropout][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  Backend& be = backend_for(Device::cpu());
  auto draw = [&](uint64_t seed, uint64_t offset) {
    Tensor m = poisoned({257}, dt);
    be.dropout_mask(m, 0.5, seed, offset);
    return values(m);
  };
  REQUIRE(draw(7, 3) == draw(7, 3));
  REQUIRE(draw(7, 3) != draw(7, 4));
  REQUIRE(draw(7, 3) != draw(8, 3));
  // Offsets count 4-word counters: the mask at offset o+1 is the mask at o shifted by 4 elements.
  auto a = draw(9, 10), b = draw(9, 11);
  for (size_t i = 0; i + 4 < a.size(); ++i) REQUIRE(a[i + 4] == b[i]);
}

TEST_CASE("dropout: a large mask keeps about 1-p of the elements, scaled by 1/(1-p)", "[dropout][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto p = GENERATE(0.1, 0.3, 0.75);
  const int64_t n = 400000;
  Tensor m = poisoned({n}, dt);
  backend_for(Device::cpu()).dropout_mask(m, p, 2024, 17);
  auto mv = values(m);
  int64_t kept = 0, badly_scaled = 0;
  const double scale = 1.0 / (1.0 - p), tol = dt == DType::F32 ? 1e-6 : 1e-15;
  for (double v : mv) {
    if (v != 0.0) {
      ++kept;
      if (!(std::fabs(v - scale) <= tol * scale)) ++badly_scaled;
    }
  }
  REQUIRE(badly_scaled == 0);
  double frac = static_cast<double>(kept) / n, sigma = std::sqrt(p * (1 - p) / n);
  INFO("p=" << p << " kept fraction " << frac << " sigma " << sigma);
  REQUIRE(std::fabs(frac - (1 - p)) < 6 * sigma);
}

TEST_CASE("dropout: the op draws from the generator and backward uses the same mask", "[dropout][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto dims = GENERATE(values<std::vector<int64_t>>({{1}, {3, 7}, {2, 1, 9}}));
  Shape s(dims);
  INFO("shape " << s.str() << " " << dtype_name(dt));
  Generator data(31);
  Tensor x = rand_tensor(s, data, dt).set_requires_grad();
  Generator gen(99);
  gen.set_offset(6);
  const double p = 0.4;
  Tensor y = dropout(x, p, true, gen);
  REQUIRE(gen.offset() == 6 + static_cast<uint64_t>((s.numel() + 3) / 4));
  auto mask = mask_ref(s.numel(), dt, p, 99, 6), xv = values(x);
  std::vector<double> want(xv.size());
  for (size_t i = 0; i < xv.size(); ++i) want[i] = xv[i] * mask[i];
  REQUIRE_CLOSE(y, want, 1e-6, 0);

  Tensor gy = rand_tensor(s, data, dt);
  y.backward(gy);
  auto gv = values(gy);
  std::vector<double> gx(gv.size());
  for (size_t i = 0; i < gv.size(); ++i) gx[i] = gv[i] * mask[i];
  REQUIRE_CLOSE(x.grad(), gx, 1e-6, 0);

  SECTION("the next call draws a fresh part of the stream") {
    Tensor big = rand_tensor({64}, data, dt);
    Tensor y1 = dropout(big, 0.5, true, gen), y2 = dropout(big, 0.5, true, gen);
    REQUIRE(values(y1) != values(y2));
  }
}

TEST_CASE("dropout: eval, p == 0 and p == 1", "[dropout][cpu]") {
  Generator g(32);
  Tensor x = rand_tensor({4, 5}, g, DType::F32).set_requires_grad();
  Generator gen(5);
  REQUIRE(dropout(x, 0.5, false, gen).same(x));
  REQUIRE(dropout(x, 0.0, true, gen).same(x));
  REQUIRE(gen.offset() == 0);  // nothing was drawn
  Tensor y = dropout(x, 1.0, true, gen);
  REQUIRE_CLOSE(y, std::vector<double>(20, 0.0), 0, 0);
  sum(y).backward();
  REQUIRE_CLOSE(x.grad(), std::vector<double>(20, 0.0), 0, 0);
}

TEST_CASE("dropout: p outside [0, 1] names the op and the value", "[dropout][cpu]") {
  Generator g(33);
  Tensor x = rand_tensor({2, 3}, g, DType::F32);
  dien::test::require_error([&] { dropout(x, -0.1, true); }, {"dropout", "[0, 1]", "-0.1", "[2, 3] f32 cpu"});
  dien::test::require_error([&] { dropout(x, 1.5, true); }, {"dropout", "1.5"});
  dien::test::require_error([&] { dropout(x, std::nan(""), false); }, {"dropout", "nan"});
}
