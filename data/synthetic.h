// SPDX-License-Identifier: MIT
// Synthetic CTR data with drifting user interests, built so that a model of interest
// EVOLUTION (DIEN: GRU over the ordered history + attention) beats DIN (attention, order-blind),
// which beats the base model (sum pooling + DNN). See docs/data.md for the model.
//
//   dien::data::SyntheticOptions o;            // ~100k samples by default
//   o.seed = 7;
//   dien::data::SyntheticData d = dien::data::make_synthetic(o);
//   d.dataset;                                 // columns below, rows in user order
//   d.features;                                // FeatureConfig (validated)
//   dien::data::write_amazon("synthetic.txt", d.dataset);   // data/amazon_format.h
//
// Categories lie on a ring. Each user walks along it (random direction, per-user speed); each
// click is an item of a category near the current position (or, less often, of one of two
// fixed "background" categories). The label of a candidate depends mostly on its category's
// distance to where the user is NOW (the end of the walk), plus background interest, item
// quality and noise. Old and new parts of the walk appear about equally often in the history, so
// only the order tells which end is current.
//
// Features: user_id, item_id, cate_id (sparse); hist_item_id, hist_cate_id, neg_hist_item_id,
// neg_hist_cate_id (varlen, maxlen, length column "seq_length"); history_features {item_id,
// cate_id}; group user_id. Ids: user u -> u+1, item i -> i+1, category c -> c+1 (0 = padding).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "data/dataset.h"
#include "data/features.h"

namespace dien::data {

struct SyntheticOptions {
  int64_t users = 10000;
  int64_t items = 3000;
  int64_t categories = 40;
  int64_t maxlen = 50;
  int64_t samples_per_user = 10;
  int64_t embedding_dim = 8;     // every table
  double short_user_fraction = 0.1;  // users whose history has 0..5 clicks
  double drift_min = 0.15;       // ring positions per click, per user uniform in [min, max]
  double drift_max = 0.6;
  double click_spread = 0.7;     // std of a click's category around the current position
  double background_rate = 0.3;  // share of clicks on the user's fixed background categories
  int64_t background_categories = 4;  // how many (distinct, drawn per user)
  double interest_width = 1.0;   // width of the relevance kernel around the current position
  // label logit = bias + w_current * kernel(target, now) + w_background * [target in background]
  //             + w_quality * quality(target) + noise * N(0, 1)
  double bias = -2.0;
  double w_current = 4.0;
  double w_background = 2.5;
  double w_quality = 0.6;
  double noise = 0.3;
  // candidates: near the current position / a category from the history (often an OLD
  // interest) / uniform over items
  double target_current = 0.35;
  double target_history = 0.4;
  // re-consumption: a share of the candidates is an exact item of the visible history, and a
  // seen item gets w_repeat on the logit (attention to the target finds it, sum pooling hardly)
  double target_repeat = 0.15;
  double w_repeat = 2.0;
  // neg_hist_* for the auxiliary loss. The negatives are drawn from each user's stream, so this
  // flag changes the other draws too: the dien command always draws them (and models that do
  // not use them ignore the columns), so every synthetic run and gen-data file sees the same samples.
  bool negatives = true;
  uint64_t seed = 2024;
  void validate() const;  // throws dien::Error naming the bad option
  nlohmann::json to_json() const;  // every option by name
  static SyntheticOptions from_json(const nlohmann::json& j);  // missing keys keep their defaults
  // Sets option `key` from text ("0.5", "12", "true"); throws naming unknown keys and bad values.
  void set(const std::string& key, const std::string& value);
};

struct SyntheticData {
  Dataset dataset;
  FeatureConfig features;
  std::vector<double> true_probability;  // per row: the probability the label was drawn with
  std::vector<int64_t> item_category;    // item id -> category id ([0] = 0)
};

FeatureConfig synthetic_features(const SyntheticOptions& o);
SyntheticData make_synthetic(const SyntheticOptions& o);

}  // namespace dien::data
