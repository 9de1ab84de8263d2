// SPDX-License-Identifier: MIT
// Metrics against hand-computed values: AUC with ties (within and across classes), log loss
// with clamping, accuracy at the threshold, MSE; Tensor overloads; error messages.
#include <cmath>

#include "models/metrics.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::require_error;
namespace m = dien::metrics;

namespace {
// Brute force over all (positive, negative) pairs: 1 if the positive scores higher, 1/2 on a tie.
double auc_by_pairs(const std::vector<double>& y, const std::vector<double>& s) {
  double wins = 0, pairs = 0;
  for (size_t i = 0; i < y.size(); ++i)
    for (size_t j = 0; j < y.size(); ++j)
      if (y[i] == 1 && y[j] == 0) {
        pairs += 1;
        wins += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
      }
  return wins / pairs;
}
}  // namespace

TEST_CASE("metrics: roc_auc by hand", "[metrics][cpu]") {
  // Ranks 1..4 for 0.1, 0.35, 0.4, 0.8; positives hold ranks 2 and 4: (6 - 3) / (2*2) = 0.75.
  REQUIRE(m::roc_auc({0, 0, 1, 1}, {0.1, 0.4, 0.35, 0.8}) == 0.75);
  REQUIRE(m::roc_auc({0, 0, 1, 1}, {0.1, 0.2, 0.3, 0.4}) == 1.0);
  REQUIRE(m::roc_auc({1, 1, 0, 0}, {0.1, 0.2, 0.3, 0.4}) == 0.0);
  // A positive and a negative tied at 0.5: that pair counts 1/2; the other three pairs are
  // wins -> 3.5 / 4.
  REQUIRE(m::roc_auc({0, 1, 0, 1}, {0.5, 0.5, 0.2, 0.9}) == 0.875);
  // Everything tied: every pair counts 1/2.
  REQUIRE(m::roc_auc({0, 1, 1, 0, 1}, {0.3, 0.3, 0.3, 0.3, 0.3}) == 0.5);
  // Ties inside one class do not matter: positives {0.7, 0.7}, negatives {0.2, 0.7}
  // -> pairs (0.7,0.2) x2 = 2 wins, (0.7,0.7) x2 = 2 halves -> 3 / 4.
  REQUIRE(m::roc_auc({1, 1, 0, 0}, {0.7, 0.7, 0.2, 0.7}) == 0.75);
}

TEST_CASE("metrics: roc_auc equals the pair count on random data with many ties", "[metrics][cpu]") {
  Generator g(8);
  for (int n : {2, 9, 100, 501}) {
    std::vector<double> y(n), s(n);
    for (int i = 0; i < n; ++i) {
      y[i] = g.uniform01() < 0.3 ? 1 : 0;
      s[i] = std::floor(g.uniform01() * 7) / 7;  // 7 distinct scores: plenty of ties
    }
    y[0] = 1, y[1] = 0;
    INFO("n = " << n);
    REQUIRE(std::fabs(m::roc_auc(y, s) - auc_by_pairs(y, s)) < 1e-12);
  }
}

TEST_CASE("metrics: log_loss, accuracy and mse by hand", "[metrics][cpu]") {
  // -(ln 0.9 + ln 0.8 + ln 0.6) / 3
  REQUIRE(std::fabs(m::log_loss({1, 0, 1}, {0.9, 0.2, 0.6}) - 0.2797765635793423) < 1e-12);
  // p = 0 is clamped to 1e-7: (-ln(1e-7) - ln(1 - 1e-7)) / 2
  REQUIRE(std::fabs(m::log_loss({1, 0}, {0.0, 0.0}) - 8.059047875479163) < 1e-12);
  REQUIRE(std::fabs(m::log_loss({0}, {1.0}, 1e-3) - 6.90775527898214) < 1e-9);

  // 0.5 is not above the threshold: predicts 0.
  REQUIRE(m::accuracy({1, 0, 1, 0}, {0.9, 0.5, 0.5, 0.51}) == 0.5);
  REQUIRE(m::accuracy({1, 0, 1}, {0.35, 0.25, 0.31}, 0.3) == 1.0);

  REQUIRE(std::fabs(m::mse({1.0, -2.0, 0.5}, {1.5, -1.0, 0.5}) - (0.25 + 1.0) / 3) < 1e-15);
}

TEST_CASE("metrics: Tensor overloads flatten any dtype", "[metrics][cpu]") {
  Tensor y = from_vector<int64_t>({0, 0, 1, 1}, {4, 1});
  Tensor s = from_vector<float>({0.1f, 0.4f, 0.35f, 0.8f}, {4});
  REQUIRE(m::roc_auc(y, s) == 0.75);
  REQUIRE(m::accuracy(y, s) == 0.75);
  Tensor p = from_vector<double>({0.9, 0.2, 0.6}, {3});
  REQUIRE(std::fabs(m::log_loss(from_vector<int32_t>({1, 0, 1}, {3}), p) - 0.2797765635793423) < 1e-12);
  REQUIRE(std::fabs(m::mse(from_vector<double>({1.0, -2.0}, {2}), from_vector<double>({1.5, -1.0}, {2})) - 0.625) <
          1e-15);
}

TEST_CASE("metrics: errors name what is wrong", "[metrics][cpu]") {
  require_error([] { m::roc_auc({1, 1, 1}, {0.1, 0.2, 0.3}); }, {"roc_auc", "one class", "3 positives", "0 negatives"});
  require_error([] { m::roc_auc({0, 0}, {0.1, 0.2}); }, {"roc_auc", "0 positives", "2 negatives"});
  require_error([] { m::roc_auc({0, 1}, {0.1}); }, {"roc_auc", "2 elements", "1"});
  require_error([] { m::roc_auc({0, 2}, {0.1, 0.2}); }, {"roc_auc", "label 1", "2"});
  require_error([] { m::roc_auc({0, 1}, {0.1, std::nan("")}); }, {"roc_auc", "score 1", "NaN"});
  require_error([] { m::log_loss({0, 1}, {0.1, 1.5}); }, {"log_loss", "prob 1", "1.5"});
  require_error([] { m::accuracy(std::vector<double>{}, std::vector<double>{}); }, {"accuracy", "no elements"});
  require_error([] { m::mse({1, 2}, {1}); }, {"mse", "2", "1"});
}

// ---- scikit-learn references (tests/fixtures/auc_sklearn.json, tools/reference/make_auc_fixture.py)
#include <fstream>
#include <nlohmann/json.hpp>

namespace {
nlohmann::json sklearn_fixture() {
  std::ifstream f(std::string(DIEN_FIXTURE_DIR) + "/auc_sklearn.json");
  REQUIRE(f.good());
  return nlohmann::json::parse(f);
}
}  // namespace

TEST_CASE("metrics: roc_auc equals scikit-learn's roc_auc_score", "[metrics][cpu]") {
  auto fx = sklearn_fixture();
  REQUIRE(fx["cases"].size() >= 4);
  for (const auto& c : fx["cases"]) {
    INFO(c["name"].get<std::string>());
    auto y = c["labels"].get<std::vector<double>>();
    auto s = c["scores"].get<std::vector<double>>();
    REQUIRE(std::fabs(m::roc_auc(y, s) - c["auc"].get<double>()) < 1e-12);
  }
}

TEST_CASE("metrics: gauc equals per-group scikit-learn AUC weighted by impressions", "[metrics][cpu]") {
  auto fx = sklearn_fixture();
  int checked = 0;
  for (const auto& c : fx["cases"]) {
    if (!c.contains("gauc")) continue;
    INFO(c["name"].get<std::string>());
    auto y = c["labels"].get<std::vector<double>>();
    auto s = c["scores"].get<std::vector<double>>();
    auto g = c["groups"].get<std::vector<int64_t>>();
    REQUIRE(std::fabs(m::gauc(y, s, g) - c["gauc"].get<double>()) < 1e-12);
    ++checked;
  }
  REQUIRE(checked > 0);
}

TEST_CASE("metrics: gauc by hand", "[metrics][cpu]") {
  // Group 7: {1: 0.9, 0: 0.1, 0: 0.95} -> AUC 1/2, 3 rows. Group 3: {0: 0.2, 1: 0.4} -> AUC 1,
  // 2 rows. Group 5: only positives -> skipped. (3 * 0.5 + 2 * 1) / 5 = 0.7.
  std::vector<double> y{1, 0, 0, 0, 1, 1, 1};
  std::vector<double> s{0.9, 0.1, 0.95, 0.2, 0.4, 0.3, 0.8};
  std::vector<int64_t> g{7, 7, 7, 3, 3, 5, 5};
  REQUIRE(std::fabs(m::gauc(y, s, g) - 0.7) < 1e-15);
  // One group holding everything: GAUC is the AUC.
  std::vector<int64_t> one(y.size(), 1);
  REQUIRE(m::gauc(y, s, one) == m::roc_auc(y, s));
  // Tensor overload.
  REQUIRE(std::fabs(m::gauc(from_vector<double>(y), from_vector<double>(s), from_vector<int64_t>(g)) - 0.7) < 1e-15);
  // Errors: no group with both classes; size mismatch; groups of the wrong dtype.
  require_error([] { m::gauc({1, 0}, {0.5, 0.2}, {1, 2}); }, {"gauc", "no group has both classes", "2 groups"});
  require_error([] { m::gauc({1, 0}, {0.5, 0.2}, {1}); }, {"gauc", "groups has 1"});
  require_error([] { m::gauc(from_vector<double>({1, 0}), from_vector<double>({0.5, 0.2}), from_vector<double>({1, 1})); },
                {"gauc", "groups must be i64"});
}
