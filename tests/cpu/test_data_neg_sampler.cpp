// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <set>

#include "core/error.h"
#include "core/rng.h"
#include "data/neg_sampler.h"
#include "support/test_util.h"

using namespace dien::data;
using dien::test::require_error;

namespace {
std::vector<int64_t> categories(int64_t n) {
  std::vector<int64_t> c(static_cast<size_t>(n + 1), 0);
  for (int64_t i = 1; i <= n; ++i) c[static_cast<size_t>(i)] = 100 + i % 7;
  return c;
}
}  // namespace

TEST_CASE("neg_sampler: negatives avoid the whole history and carry their category", "[data][neg_sampler]") {
  NegativeSampler s(categories(30));
  std::vector<int64_t> hist = {3, 5, 7, 9, 11, 13, 3, 5};
  std::vector<int64_t> ni(hist.size()), nc(hist.size());
  std::set<int64_t> seen;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    dien::Generator g(mix_seed(seed, 0));
    s.sample(hist.data(), static_cast<int64_t>(hist.size()), g, ni.data(), nc.data());
    for (size_t t = 0; t < hist.size(); ++t) {
      REQUIRE(ni[t] >= 1);
      REQUIRE(ni[t] <= 30);
      REQUIRE(std::find(hist.begin(), hist.end(), ni[t]) == hist.end());
      REQUIRE(nc[t] == 100 + ni[t] % 7);
      seen.insert(ni[t]);
    }
  }
  REQUIRE(seen.size() == 30 - 6);  // every allowed item shows up
  // deterministic for a seed
  std::vector<int64_t> a(hist.size()), b(hist.size()), c(hist.size());
  dien::Generator g1(mix_seed(5, 1)), g2(mix_seed(5, 1));
  s.sample(hist.data(), 8, g1, a.data(), c.data());
  s.sample(hist.data(), 8, g2, b.data(), c.data());
  REQUIRE(a == b);
}

TEST_CASE("neg_sampler: a user who clicked almost everything, or everything", "[data][neg_sampler]") {
  NegativeSampler s(categories(50));
  std::vector<int64_t> hist;
  for (int64_t i = 1; i <= 50; ++i)
    if (i != 17) hist.push_back(i);
  std::vector<int64_t> ni(hist.size()), nc(hist.size());
  dien::Generator g(3);
  s.sample(hist.data(), static_cast<int64_t>(hist.size()), g, ni.data(), nc.data());
  for (int64_t v : ni) REQUIRE(v == 17);
  hist.push_back(17);
  ni.resize(hist.size());
  nc.resize(hist.size());
  require_error([&] { s.sample(hist.data(), 50, g, ni.data(), nc.data()); }, {"neg_sampler", "clicked all 50 items"});
  // extra exclusions count too
  std::vector<int64_t> h1 = {1};
  require_error([&] {
    NegativeSampler tiny(categories(2));
    tiny.sample(h1.data(), 1, g, ni.data(), nc.data(), {2});
  }, {"clicked all 2 items"});
}

TEST_CASE("neg_sampler: frequency mode draws in proportion and never weight 0", "[data][neg_sampler]") {
  std::vector<double> w = {0, 1, 0, 3, 6};  // items 1..4
  NegativeSampler s(categories(4), NegativeMode::Frequency, w);
  dien::Generator g(11);
  std::vector<int> count(5, 0);
  std::unordered_set<int64_t> none;
  for (int i = 0; i < 20000; ++i) ++count[static_cast<size_t>(s.draw(none, g))];
  REQUIRE(count[2] == 0);
  REQUIRE(count[1] == Approx(2000).margin(250));
  REQUIRE(count[3] == Approx(6000).margin(400));
  REQUIRE(count[4] == Approx(12000).margin(400));
  // excluding the heavy item leaves 1:3
  std::unordered_set<int64_t> ex = {4};
  std::vector<int> c2(5, 0);
  for (int i = 0; i < 8000; ++i) ++c2[static_cast<size_t>(s.draw(ex, g))];
  REQUIRE(c2[4] == 0);
  REQUIRE(c2[1] == Approx(2000).margin(250));
  require_error([] { NegativeSampler(categories(4), NegativeMode::Frequency, {0, 1}); }, {"needs 5 weights"});
  require_error([] { negative_mode_from_string("zipf"); }, {"unknown negative sampling mode 'zipf'"});
}
