// SPDX-License-Identifier: MIT
#include "data/neg_sampler.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/rng.h"

namespace dien::data {

NegativeMode negative_mode_from_string(const std::string& s) {
  if (s == "uniform") return NegativeMode::Uniform;
  if (s == "frequency") return NegativeMode::Frequency;
  fail("neg_sampler", "unknown negative sampling mode '", s, "' (expected uniform | frequency)");
}

uint64_t mix_seed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

NegativeSampler::NegativeSampler(std::vector<int64_t> item_category, NegativeMode mode, std::vector<double> weights)
    : category_(std::move(item_category)), mode_(mode) {
  if (category_.empty()) category_.push_back(0);
  const int64_t n = num_items();
  if (mode_ == NegativeMode::Frequency) {
    DIEN_CHECK(static_cast<int64_t>(weights.size()) == n + 1, "neg_sampler", "frequency mode needs ", n + 1,
               " weights (index 0 unused), got ", weights.size());
    double acc = 0;
    for (int64_t id = 1; id <= n; ++id) {
      const double w = weights[static_cast<size_t>(id)];
      DIEN_CHECK(std::isfinite(w) && w >= 0, "neg_sampler", "weight of item ", id, " is ", w, " (must be finite and >= 0)");
      if (w == 0) continue;
      acc += w;
      pool_.push_back(id);
      cumulative_.push_back(acc);
    }
  } else {
    for (int64_t id = 1; id <= n; ++id) pool_.push_back(id);
  }
}

int64_t NegativeSampler::draw_any(Generator& g) const {
  if (mode_ == NegativeMode::Uniform) return pool_[g.randint(pool_.size())];
  const double u = g.uniform01() * cumulative_.back();
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  if (it == cumulative_.end()) --it;
  return pool_[static_cast<size_t>(it - cumulative_.begin())];
}

int64_t NegativeSampler::draw(const std::unordered_set<int64_t>& excluded, Generator& g) const {
  if (pool_.empty()) fail("neg_sampler", "the item pool is empty: no negative can be drawn");
  // Rejection first: cheap when the user clicked a small part of the pool.
  for (int tries = 0; tries < 64; ++tries) {
    const int64_t it = draw_any(g);
    if (!excluded.count(it)) return it;
  }
  // The user clicked most of the pool: draw from the explicit complement.
  std::vector<int64_t> rest;
  std::vector<double> cum;
  double acc = 0;
  for (size_t i = 0; i < pool_.size(); ++i) {
    if (excluded.count(pool_[i])) continue;
    rest.push_back(pool_[i]);
    acc += mode_ == NegativeMode::Uniform ? 1.0 : cumulative_[i] - (i ? cumulative_[i - 1] : 0.0);
    cum.push_back(acc);
  }
  if (rest.empty())
    fail("neg_sampler", "the user has clicked all ", pool_.size(),
         " items of the negative pool: no item is left to sample as a negative");
  const double u = g.uniform01() * acc;
  auto p = std::upper_bound(cum.begin(), cum.end(), u);
  if (p == cum.end()) --p;
  return rest[static_cast<size_t>(p - cum.begin())];
}

void NegativeSampler::sample(const int64_t* hist, int64_t len, Generator& g, int64_t* neg_items, int64_t* neg_cats,
                             const std::vector<int64_t>& extra_excluded) const {
  if (len <= 0) return;
  std::unordered_set<int64_t> excluded(hist, hist + len);
  excluded.insert(extra_excluded.begin(), extra_excluded.end());
  for (int64_t t = 0; t < len; ++t) {
    neg_items[t] = draw(excluded, g);
    neg_cats[t] = category(neg_items[t]);
  }
}

}  // namespace dien::data
