// SPDX-License-Identifier: MIT
// Negatives for DIEN's auxiliary loss: for every valid step of a behaviour history, an item the
// user has NOT clicked anywhere in that history (reject and redraw), with the item's real
// category. Items are ids 1..n; draws are uniform over them, or proportional to a weight (item
// frequency, as mouna99/dien does). Deterministic for a Generator.
//
//   dien::data::NegativeSampler s(item_category);            // item_category[id], [0] unused
//   dien::Generator g(dien::data::mix_seed(seed, row));       // one stream per row
//   s.sample(hist.data(), len, g, neg_items.data(), neg_cats.data());
//
// A user who clicked every item of the pool has no negative: dien::Error says so.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

namespace dien {
class Generator;
}

namespace dien::data {

enum class NegativeMode : uint8_t { Uniform, Frequency };
NegativeMode negative_mode_from_string(const std::string& s);  // "uniform" | "frequency"

// A well-mixed 64-bit seed for stream `stream` of `seed` (splitmix64), so that each row's
// draws depend only on (seed, row), not on chunking or threads.
uint64_t mix_seed(uint64_t seed, uint64_t stream);

class NegativeSampler {
 public:
  NegativeSampler() = default;
  // item_category[id] is the category of item id (id 1..n; [0] is ignored). For Frequency,
  // weights[id] >= 0 (same size); items of weight 0 are never drawn.
  explicit NegativeSampler(std::vector<int64_t> item_category, NegativeMode mode = NegativeMode::Uniform,
                           std::vector<double> weights = {});

  int64_t num_items() const { return static_cast<int64_t>(category_.size()) - 1; }
  int64_t category(int64_t item) const { return category_[static_cast<size_t>(item)]; }

  // One item in the pool and not in `excluded`. Throws dien::Error when every pool item is excluded.
  int64_t draw(const std::unordered_set<int64_t>& excluded, dien::Generator& g) const;
  // neg_items[t], neg_cats[t] for t < len: items not in hist[0..len) nor in extra_excluded.
  void sample(const int64_t* hist, int64_t len, dien::Generator& g, int64_t* neg_items, int64_t* neg_cats,
              const std::vector<int64_t>& extra_excluded = {}) const;

 private:
  int64_t draw_any(dien::Generator& g) const;
  std::vector<int64_t> category_;
  NegativeMode mode_ = NegativeMode::Uniform;
  std::vector<int64_t> pool_;        // items that can be drawn
  std::vector<double> cumulative_;   // Frequency: running sum of weights over pool_
};

}  // namespace dien::data
