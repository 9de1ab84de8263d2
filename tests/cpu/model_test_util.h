// SPDX-License-Identifier: MIT
// A tiny feature config and random batches for the model tests.
#pragma once
#include <vector>

#include "data/dataset.h"
#include "data/features.h"
#include "models/ctr_model.h"
#include "support/test_util.h"

namespace dien::test {

inline const std::vector<std::string> kAllGruTypes = {"GRU", "AIGRU", "AGRU", "AUGRU"};

// Small layers (DNN 8-4, attention 6-3), DIEN with negative sampling, weights N(0, 0.3^2) where
// the deepctr init is asked for.
inline ModelOptions small_options(const std::string& kind, const std::string& gru_type = "AUGRU") {
  ModelOptions o = ModelOptions::defaults(kind);
  o.gru_type = gru_type;
  o.use_negsampling = kind == "dien";
  o.dnn_hidden_units = {8, 4};
  o.att_hidden_units = {6, 3};
  o.init_std = 0.3;
  return o;
}

// user_id(7,3) item_id(11,4) cate_id(5,2) price(1) hist_/neg_hist_ of item_id and cate_id (T = 5,
// "seq_length") and tags (6, 2, T = 3, "tags_len", mean).
inline FeatureConfig small_features() {
  FeatureConfig fc;
  fc.features = {FeatureSpec::sparse("user_id", 7, 3),
                 FeatureSpec::sparse("item_id", 11, 4),
                 FeatureSpec::sparse("cate_id", 5, 2),
                 FeatureSpec::dense("price", 1),
                 FeatureSpec::varlen("hist_item_id", 11, 4, 5, "seq_length", "item_id"),
                 FeatureSpec::varlen("hist_cate_id", 5, 2, 5, "seq_length", "cate_id"),
                 FeatureSpec::varlen("neg_hist_item_id", 11, 4, 5, "seq_length", "item_id"),
                 FeatureSpec::varlen("neg_hist_cate_id", 5, 2, 5, "seq_length", "cate_id"),
                 FeatureSpec::varlen("tags", 6, 2, 3, "tags_len", "", "mean")};
  fc.history_features = {"item_id", "cate_id"};
  return fc;
}

// Ids at padded steps are `pad` (0 by the data convention; tests change it to check leaks).
inline data::Batch small_batch(Generator& g, const std::vector<int64_t>& lengths, int64_t pad = 0) {
  const int64_t B = static_cast<int64_t>(lengths.size()), T = 5, TT = 3;
  auto ids = [&](int64_t vocab, int64_t n) {
    std::vector<int64_t> v(n);
    for (auto& x : v) x = 1 + static_cast<int64_t>(g.randint(vocab - 1));
    return v;
  };
  auto seq = [&](int64_t vocab, int64_t width, const std::vector<int64_t>& len) {
    std::vector<int64_t> v = ids(vocab, B * width);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = len[b]; t < width; ++t) v[b * width + t] = pad % vocab;
    return from_vector<int64_t>(v, Shape{B, width});
  };
  std::vector<int64_t> tag_len(B);
  for (int64_t b = 0; b < B; ++b) tag_len[b] = static_cast<int64_t>(g.randint(TT + 1));
  data::Batch batch;
  batch.x["user_id"] = from_vector<int64_t>(ids(7, B), Shape{B});
  batch.x["item_id"] = from_vector<int64_t>(ids(11, B), Shape{B});
  batch.x["cate_id"] = from_vector<int64_t>(ids(5, B), Shape{B});
  batch.x["price"] = uniform({B, 1}, -1, 1, g);
  batch.x["hist_item_id"] = seq(11, T, lengths);
  batch.x["hist_cate_id"] = seq(5, T, lengths);
  batch.x["neg_hist_item_id"] = seq(11, T, lengths);
  batch.x["neg_hist_cate_id"] = seq(5, T, lengths);
  batch.x["seq_length"] = from_vector<int64_t>(lengths, Shape{B});
  batch.x["tags"] = seq(6, TT, tag_len);
  batch.x["tags_len"] = from_vector<int64_t>(tag_len, Shape{B});
  std::vector<float> y(B);
  for (auto& v : y) v = g.uniform01() < 0.5 ? 0.f : 1.f;
  batch.y = from_vector<float>(y, Shape{B});
  return batch;
}

}  // namespace dien::test
