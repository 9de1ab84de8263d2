// SPDX-License-Identifier: MIT
#include "data/id_mapping.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/amazon_format.h"
#include "data/csv_reader.h"
#include "data/movielens_sample.h"
#include "data/parse_values.h"

namespace dien::data {

namespace {
constexpr const char* kOp = "id mapping";

int64_t parse_id(std::string_view v, const std::string& where, const std::string& feature) {
  const std::optional<int64_t> id = canonical_int(v);
  if (!id || *id < 0)
    fail(where.c_str(), "feature '", feature, "': '", escape_bytes(v),
         "' is not an id (this checkpoint has no vocabularies, so values are the model's integer ids >= 0, "
         "written canonically)");
  return *id;
}
}  // namespace

IdMapping IdMapping::from_slot(const nlohmann::json& slot, const FeatureConfig& features, const std::string& policy) {
  IdMapping m;
  if (!slot.is_object()) fail(kOp, "the checkpoint's data slot is not a JSON object");
  m.format_ = slot.contains("vocabularies") ? slot.value("format", std::string()) : std::string("ids");
  try {
    if (m.format_ == "amazon") {
      AmazonVocabularies v = AmazonVocabularies::from_json(slot.at("vocabularies"), "checkpoint");
      m.tables_["user_id"] = std::move(v.user);
      m.tables_["item_id"] = std::move(v.item);
      m.tables_["cate_id"] = std::move(v.category);
      m.derived_["cate_id"] = Derivation{"item_id", v.item_category};
    } else if (m.format_ == "movielens") {
      MovieSampleVocabularies v = MovieSampleVocabularies::from_json(slot.at("vocabularies"), "checkpoint");
      m.tables_["user_id"] = std::move(v.user);
      m.tables_["gender"] = std::move(v.gender);
      m.tables_["age"] = std::move(v.age);
      m.tables_["movie_id"] = std::move(v.movie);
      m.tables_["movie_type_id"] = std::move(v.movie_type);
      m.derived_["movie_type_id"] = Derivation{"movie_id", v.movie_category};  // -1: never a target
    } else if (m.format_ == "csv") {
      for (auto& [table, voc] : csv_vocabularies_from_json(slot.at("vocabularies"))) m.tables_[table] = std::move(voc);
      if (slot.contains("spec") && slot["spec"].contains("oov"))
        m.policy_ = oov_policy_from_string(slot["spec"]["oov"].get<std::string>());
    } else if (m.format_ != "ids") {
      fail(kOp, "the checkpoint's data slot names an unknown format '", m.format_, "' (amazon, movielens or csv)");
    }
  } catch (const nlohmann::json::exception& e) {
    fail(kOp, "the checkpoint's data slot is malformed: ", e.what());
  }
  if (!policy.empty()) m.policy_ = oov_policy_from_string(policy);
  if (slot.contains("excluded_features") && slot["excluded_features"].is_array())
    for (const auto& e : slot["excluded_features"])
      if (e.is_string()) m.excluded_.push_back(e.get<std::string>());
  for (const FeatureSpec& f : features.features) {
    if (f.kind == FeatureKind::Dense) continue;
    const std::string& table = f.table();
    m.feature_table_[f.name] = table;
    m.feature_rows_[f.name] = f.vocabulary_size;
    if (m.format_ == "ids") continue;
    auto it = m.tables_.find(table);
    if (it == m.tables_.end())
      fail(kOp, "feature '", f.name, "' looks up table '", table, "', which has no vocabulary in the checkpoint");
    // Readers size a table as the vocabulary: padding 0, the values, the unknown id. Synthetic
    // data has no unknown values and no row for them (values + 1 rows).
    const bool with_oov = it->second.size() == f.vocabulary_size;
    if (!with_oov && it->second.size() != f.vocabulary_size + 1)
      fail(kOp, "the vocabulary of table '", table, "' has ", it->second.size(), " ids but feature '", f.name,
           "' has an embedding of ", f.vocabulary_size, " rows: the checkpoint is inconsistent");
    if (!with_oov) m.no_oov_row_.push_back(table);
  }
  for (auto it = m.derived_.begin(); it != m.derived_.end();) {
    const bool usable = m.tables_.count(it->first) && m.tables_.count(it->second.source_table) &&
                        static_cast<int64_t>(it->second.map.size()) == m.tables_[it->second.source_table].num_values() + 1;
    it = usable ? std::next(it) : m.derived_.erase(it);
  }
  return m;
}

IdMapping::Column IdMapping::column(const std::string& feature, const std::string& where) const {
  auto ft = feature_table_.find(feature);
  if (ft == feature_table_.end()) fail(where.c_str(), "feature '", feature, "' is not a sparse or varlen feature of the model");
  Column c;
  c.feature = &ft->first;
  c.table = &ft->second;
  c.rows = feature_rows_.at(feature);
  if (format_ != "ids") {
    c.vocab = &tables_.at(ft->second);
    c.oov_row = !has_no_oov_row(ft->second);
  }
  return c;
}

int64_t IdMapping::map(const std::string& feature, std::string_view value, const std::string& where,
                       int64_t* oov) const {
  return map(column(feature, where), value, where, oov);
}

int64_t IdMapping::map(const Column& c, std::string_view value, const std::string& where, int64_t* oov) const {
  const std::string& feature = *c.feature;
  if (!c.vocab) {
    const int64_t id = parse_id(value, where, feature);
    if (id >= c.rows) fail(where.c_str(), "feature '", feature, "': id ", id, " is outside the embedding's [0, ", c.rows, ")");
    return id;
  }
  const Vocabulary& v = *c.vocab;
  if (auto id = v.find(value)) return *id;
  if (policy_ == OovPolicy::Bucket && c.oov_row) {
    if (oov) ++*oov;
    return v.oov_id();
  }
  if (!c.oov_row)
    fail(where.c_str(), "feature '", feature, "': value '", std::string(value), "' is not in the vocabulary of table '",
         *c.table, "' (", v.num_values(), " values), and this model has no row for unknown values (its training "
         "data, e.g. synthetic, had none)");
  fail(where.c_str(), "feature '", feature, "': value '", std::string(value), "' is not in the vocabulary of table '",
       *c.table, "' (", v.num_values(), " values; the bucket OOV policy maps unknown values to id ", v.oov_id(), ")");
}

const IdMapping::Derivation* IdMapping::derivation_for(const std::string& target_table) const {
  auto it = derived_.find(target_table);
  return it == derived_.end() ? nullptr : &it->second;
}

int64_t IdMapping::derive(const Derivation& d, const std::string& target_table, int64_t id) const {
  const int64_t c = id >= 0 && id < static_cast<int64_t>(d.map.size()) ? d.map[static_cast<size_t>(id)] : -1;
  if (c >= 0 && (c <= tables_.at(target_table).num_values() || !has_no_oov_row(target_table))) return c;
  if (has_no_oov_row(target_table))
    fail(kOp, "id ", id, " of table '", d.source_table, "' has no known '", target_table,
         "' and this model has no row for unknown values: give the '", target_table, "' values");
  return tables_.at(target_table).oov_id();
}

bool IdMapping::has_no_oov_row(const std::string& table) const {
  return std::find(no_oov_row_.begin(), no_oov_row_.end(), table) != no_oov_row_.end();
}

bool IdMapping::is_excluded(const std::string& name) const {
  return std::any_of(excluded_.begin(), excluded_.end(), [&](const std::string& e) {
    return name == e || name == "hist_" + e || name == "neg_hist_" + e;
  });
}

}  // namespace dien::data
