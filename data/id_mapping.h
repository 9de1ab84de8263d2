// SPDX-License-Identifier: MIT
// IdMapping: raw feature values (the strings of the training data) to the model's ids, as the
// training run mapped them, for a service that scores requests (serve/session.h). Built from a
// checkpoint's "data" slot (what `dien train` stores: the reader format, its vocabularies) and
// the model's features; read-only afterwards, so any number of threads may map at once.
//
//   data::IdMapping ids = data::IdMapping::from_slot(slot, model.features());
//   int64_t item = ids.map("hist_item_id", "B00042", "request");  // the item_id table's id
//
// Unknown values follow the OOV policy: the one the run trained with where the data format
// records it (a CSV spec's "oov"), else "bucket" (the unknown id, as `dien predict` does), or
// the one given to from_slot. Derived columns: a format that knows each item's category (the
// Amazon format's item_category, the MovieLens sample's movie_category) can fill a category
// column from its item column (hist_cate_id from hist_item_id, cate_id from item_id).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "data/features.h"
#include "data/vocabulary.h"

namespace dien::data {

class IdMapping {
 public:
  // slot: the checkpoint config's "data" object; features: the model's (make_model's) features.
  // policy: "" (the trained policy), "error" or "bucket". Throws dien::Error naming what is
  // missing or inconsistent (a feature without a vocabulary, a vocabulary whose size differs from
  // the model's table).
  static IdMapping from_slot(const nlohmann::json& slot, const FeatureConfig& features, const std::string& policy = "");

  // The id of `value` for sparse or varlen feature `feature`; an unknown value gives the
  // table's unknown id under the bucket policy (counted in *oov when non-null) or throws
  // dien::Error("<where>: feature '<f>': value '<v>' is not in the vocabulary ...").
  int64_t map(const std::string& feature, std::string_view value, const std::string& where,
              int64_t* oov = nullptr) const;
  // The same with the feature's table resolved once (for the many values of one column).
  struct Column {
    const std::string* feature = nullptr;
    const std::string* table = nullptr;
    const Vocabulary* vocab = nullptr;  // null: integer ids (no vocabularies)
    int64_t rows = 0;
    bool oov_row = true;
  };
  Column column(const std::string& feature, const std::string& where) const;
  int64_t map(const Column& c, std::string_view value, const std::string& where, int64_t* oov = nullptr) const;
  OovPolicy policy() const { return policy_; }
  std::string format() const { return format_; }

  // A category table filled from an item table: for feature tables `target`, the table
  // `source` whose ids map through `map` (id -> target id; [0] = 0).
  struct Derivation {
    std::string source_table;
    std::vector<int64_t> map;
  };
  // The derivation that fills table `target`, or null.
  const Derivation* derivation_for(const std::string& target_table) const;
  // target id of source id `id` (an id outside the map gives the target's unknown id).
  int64_t derive(const Derivation& d, const std::string& target_table, int64_t id) const;

  // Features the data had but the model left out (`dien train --exclude`): a request may carry
  // them; they are ignored.
  bool is_excluded(const std::string& name) const;

 private:
  std::string format_;
  OovPolicy policy_ = OovPolicy::Bucket;
  std::map<std::string, Vocabulary> tables_;           // table name -> vocabulary
  std::map<std::string, std::string> feature_table_;   // model feature -> table
  std::map<std::string, int64_t> feature_rows_;        // model feature -> embedding rows
  std::map<std::string, Derivation> derived_;          // target table -> derivation
  std::vector<std::string> excluded_;
  std::vector<std::string> no_oov_row_;  // tables whose embedding has no unknown-id row
  bool has_no_oov_row(const std::string& table) const;
};

}  // namespace dien::data
