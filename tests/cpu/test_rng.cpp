// SPDX-License-Identifier: MIT
// Philox 4x32-10 against the Random123 known-answer vectors, and the Generator's stream rules.
#include <cmath>

#include "core/philox.h"
#include "support/test_util.h"

using namespace dien;

TEST_CASE("philox4x32-10 matches the Random123 known-answer vectors", "[rng][cpu]") {
  struct Kat {
    philox::U32x4 ctr;
    uint32_t k0, k1;
    philox::U32x4 want;
  };
  const Kat kats[] = {
      {{{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}}},
      {{{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}}, 0xffffffffu, 0xffffffffu,
       {{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}}},
      {{{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}}, 0xa4093822u, 0x299f31d0u,
       {{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}}},
  };
  for (const auto& k : kats) {
    auto r = philox::philox4x32_10(k.ctr, k.k0, k.k1);
    for (int i = 0; i < 4; ++i) REQUIRE(r.v[i] == k.want.v[i]);
  }
}

TEST_CASE("generator: same seed, same stream; offsets advance by ceil(n/4)", "[rng][cpu]") {
  Generator a(42), b(42), c(43);
  Tensor ua = uniform({3, 5}, 0, 1, a), ub = uniform({3, 5}, 0, 1, b), uc = uniform({3, 5}, 0, 1, c);
  REQUIRE(dien::test::values(ua) == dien::test::values(ub));
  REQUIRE(dien::test::values(ua) != dien::test::values(uc));
  REQUIRE(a.offset() == 4);  // 15 words -> 4 counters
  // Element i of a draw is word i of the stream at the draw's offset.
  Generator d(7);
  d.set_offset(10);
  auto v = uniform({9}, 0, 1, d).to_vector<float>();
  for (uint64_t i = 0; i < 9; ++i) REQUIRE(v[i] == philox::to_unit_float(philox::word(7, 10, i)));
}

TEST_CASE("uniform and normal have the requested moments", "[rng][cpu]") {
  Generator g(5);
  auto u = dien::test::values(uniform({20000}, -2, 4, g, DType::F64));
  double mu = 0, lo = 1e9, hi = -1e9;
  for (double x : u) {
    mu += x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  mu /= u.size();
  REQUIRE(std::fabs(mu - 1.0) < 0.05);
  REQUIRE(lo >= -2);
  REQUIRE(hi < 4);
  auto n = dien::test::values(normal({20001}, 0.5, 2.0, g));
  double m = 0, s2 = 0;
  for (double x : n) m += x;
  m /= n.size();
  for (double x : n) s2 += (x - m) * (x - m);
  REQUIRE(std::fabs(m - 0.5) < 0.05);
  REQUIRE(std::fabs(std::sqrt(s2 / n.size()) - 2.0) < 0.05);
}

TEST_CASE("randint is in range and covers it", "[rng][cpu]") {
  Generator g(9);
  std::vector<int> seen(7, 0);
  for (int i = 0; i < 700; ++i) {
    uint64_t r = g.randint(7);
    REQUIRE(r < 7);
    seen[r]++;
  }
  for (int c : seen) REQUIRE(c > 50);
}
