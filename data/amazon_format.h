// SPDX-License-Identifier: MIT
// The DIEN reference sample format (mouna99/dien data_iterator, the paper's public Amazon
// data): one sample per line, 6 tab-separated fields
//   label \t user \t item \t category \t item_history \t category_history
// the histories joined by the byte \x02, oldest -> newest (an empty field is an empty history).
//
//   auto voc = dien::data::AmazonVocabularies::build("train.txt");   // or ::load("voc.json")
//   voc.save("voc.json");                                             // reuse for test/predict files
//   dien::data::AmazonOptions opt;                                    // maxlen 100, negatives on
//   dien::data::LoadedData train = dien::data::load_amazon("train.txt", voc, opt);
//   // streaming, chunks of at most opt.chunk_rows rows:
//   dien::data::read_amazon("big.txt", voc, opt, [&](dien::data::Dataset&& chunk) { ... });
//   dien::data::write_amazon("out.txt", dataset);   // from a dataset with the columns below
//
// Dataset columns: user_id, item_id, cate_id (sparse), hist_item_id, hist_cate_id (+
// neg_hist_item_id, neg_hist_cate_id when negatives are on) with length column seq_length;
// history_features {item_id, cate_id}; group user_id. Histories longer than maxlen keep the most
// recent maxlen steps. Aux negatives: per valid step an item (of the item vocabulary) the user has
// not clicked in that history, with its category (data/neg_sampler.h), seeded per row.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"
#include "data/neg_sampler.h"
#include "data/vocabulary.h"
#include "data/features.h"

namespace dien::data {

struct LoadedData {
  Dataset dataset;
  FeatureConfig features;
};
using ChunkCallback = std::function<void(Dataset&& chunk)>;

struct AmazonVocabularies {
  Vocabulary user, item, category;
  // item id -> category id, as seen in the data (targets and histories); [0] = 0. Items never
  // seen with a category map to the category OOV id.
  std::vector<int64_t> item_category;
  std::vector<int64_t> item_count;  // item id -> occurrences (frequency negative sampling)

  // One pass over an Amazon-format file (errors as read_amazon).
  static AmazonVocabularies build(const std::string& path);
  void set_policy(OovPolicy p);
  void save(const std::string& path) const;  // one JSON file
  static AmazonVocabularies load(const std::string& path);
  nlohmann::json to_json() const;  // what save() writes
  static AmazonVocabularies from_json(const nlohmann::json& j, const std::string& where = "JSON");
};

struct AmazonOptions {
  int64_t maxlen = 100;
  int64_t embedding_dim = 8;
  bool negatives = true;
  NegativeMode negative_mode = NegativeMode::Uniform;
  uint64_t seed = 1234;
  int64_t chunk_rows = 65536;
};

FeatureConfig amazon_features(const AmazonVocabularies& v, const AmazonOptions& o);
// Streams `path`; ids go through v (its OOV policy decides about unknown values).
void read_amazon(const std::string& path, AmazonVocabularies& v, const AmazonOptions& o, const ChunkCallback& on_chunk);
LoadedData load_amazon(const std::string& path, AmazonVocabularies& v, const AmazonOptions& o);

// One line (no vocabulary involved): hist_items and hist_cats must have the same size.
void write_amazon_line(std::ostream& os, int label, std::string_view user, std::string_view item,
                       std::string_view category, const std::vector<std::string>& hist_items,
                       const std::vector<std::string>& hist_cats);
// Writes every row of ds (columns user_id, item_id, cate_id, hist_item_id, hist_cate_id,
// seq_length; labels 0/1) with the ids as decimal strings; atomic (temp file + rename).
void write_amazon(const std::string& path, const Dataset& ds);

}  // namespace dien::data
