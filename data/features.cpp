// SPDX-License-Identifier: MIT
#include "data/features.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "core/checked.h"
#include "core/error.h"
#include "core/json_limits.h"

namespace dien {

const char* feature_kind_name(FeatureKind k) {
  switch (k) {
    case FeatureKind::Sparse: return "sparse";
    case FeatureKind::Dense: return "dense";
    case FeatureKind::VarLenSparse: return "varlen_sparse";
  }
  return "?";
}

static FeatureKind parse_kind(const std::string& s, const std::string& where) {
  if (s == "sparse") return FeatureKind::Sparse;
  if (s == "dense") return FeatureKind::Dense;
  if (s == "varlen_sparse" || s == "varlen") return FeatureKind::VarLenSparse;
  fail("features", where, ": unknown kind '", s, "' (expected sparse, dense or varlen_sparse)");
}

FeatureSpec FeatureSpec::sparse(const std::string& name, int64_t vocabulary_size, int64_t embedding_dim,
                                const std::string& embedding_name) {
  FeatureSpec f;
  f.name = name;
  f.kind = FeatureKind::Sparse;
  f.vocabulary_size = vocabulary_size;
  f.embedding_dim = embedding_dim;
  f.embedding_name = embedding_name;
  return f;
}

FeatureSpec FeatureSpec::dense(const std::string& name, int64_t dimension) {
  FeatureSpec f;
  f.name = name;
  f.kind = FeatureKind::Dense;
  f.dimension = dimension;
  return f;
}

FeatureSpec FeatureSpec::varlen(const std::string& name, int64_t vocabulary_size, int64_t embedding_dim,
                                int64_t maxlen, const std::string& length_name, const std::string& embedding_name,
                                const std::string& combiner) {
  FeatureSpec f = sparse(name, vocabulary_size, embedding_dim, embedding_name);
  f.kind = FeatureKind::VarLenSparse;
  f.maxlen = maxlen;
  f.length_name = length_name;
  f.combiner = combiner;
  return f;
}

const FeatureSpec* FeatureConfig::find(const std::string& name) const {
  for (const auto& f : features)
    if (f.name == name) return &f;
  return nullptr;
}

const FeatureSpec& FeatureConfig::at(const std::string& name) const {
  if (const FeatureSpec* f = find(name)) return *f;
  std::string known;
  for (const auto& f : features) known += (known.empty() ? "" : ", ") + f.name;
  fail("features", "no feature named '", name, "' (features: ", known, ")");
}

std::vector<const FeatureSpec*> FeatureConfig::of_kind(FeatureKind k) const {
  std::vector<const FeatureSpec*> out;
  for (const auto& f : features)
    if (f.kind == k) out.push_back(&f);
  return out;
}

std::vector<std::string> FeatureConfig::length_columns() const {
  std::vector<std::string> out;
  for (const auto& f : features)
    if (f.kind == FeatureKind::VarLenSparse && std::find(out.begin(), out.end(), f.length_name) == out.end())
      out.push_back(f.length_name);
  return out;
}

bool FeatureConfig::has_negatives() const {
  if (history_features.empty()) return false;
  for (const auto& h : history_features)
    if (!find("neg_hist_" + h)) return false;
  return true;
}

void FeatureConfig::validate() const {
  std::map<std::string, const FeatureSpec*> by_name, by_table;
  for (const auto& f : features) {
    if (f.name.empty()) fail("features", "a feature has an empty name");
    if (by_name.count(f.name)) fail("features", "feature '", f.name, "' is declared twice");
    by_name[f.name] = &f;
    if (f.kind == FeatureKind::Dense) {
      if (f.dimension <= 0) fail("features", "dense feature '", f.name, "': dimension must be > 0, got ", f.dimension);
      if (f.dimension > kMaxWidth)
        fail("features", "dense feature '", f.name, "': dimension ", f.dimension, " exceeds the limit of ", kMaxWidth);
      continue;
    }
    if (f.vocabulary_size <= 0)
      fail("features", "feature '", f.name, "': vocabulary_size must be > 0, got ", f.vocabulary_size);
    if (f.embedding_dim <= 0)
      fail("features", "feature '", f.name, "': embedding_dim must be > 0, got ", f.embedding_dim);
    if (f.embedding_dim > kMaxWidth)
      fail("features", "feature '", f.name, "': embedding_dim ", f.embedding_dim, " exceeds the limit of ", kMaxWidth);
    if (f.vocabulary_size > kMaxVocabulary)
      fail("features", "feature '", f.name, "': vocabulary_size ", f.vocabulary_size, " exceeds the limit of ",
           kMaxVocabulary);
    checked_numel({f.vocabulary_size, f.embedding_dim}, "features", "feature '", f.name, "': embedding table");
    if (f.kind == FeatureKind::VarLenSparse) {
      if (f.maxlen <= 0) fail("features", "varlen feature '", f.name, "': maxlen must be > 0, got ", f.maxlen);
      if (f.maxlen > kMaxWidth)
        fail("features", "varlen feature '", f.name, "': maxlen ", f.maxlen, " exceeds the limit of ", kMaxWidth);
      if (f.length_name.empty()) fail("features", "varlen feature '", f.name, "' has no length_name");
      if (f.combiner != "sum" && f.combiner != "mean" && f.combiner != "max")
        fail("features", "varlen feature '", f.name, "': combiner must be sum, mean or max, got '", f.combiner, "'");
    }
    auto it = by_table.find(f.table());
    if (it != by_table.end()) {
      const FeatureSpec& o = *it->second;
      if (o.vocabulary_size != f.vocabulary_size || o.embedding_dim != f.embedding_dim)
        fail("features", "features '", o.name, "' and '", f.name, "' share embedding table '", f.table(),
             "' but differ: vocabulary ", o.vocabulary_size, " vs ", f.vocabulary_size, ", dim ", o.embedding_dim,
             " vs ", f.embedding_dim);
    } else {
      by_table[f.table()] = &f;
    }
  }
  for (const auto& f : features)
    if (f.kind == FeatureKind::VarLenSparse && by_name.count(f.length_name))
      fail("features", "length column '", f.length_name, "' of '", f.name, "' has the name of a feature");
  const FeatureSpec* first_hist = nullptr;
  for (const auto& h : history_features) {
    auto it = by_name.find(h);
    if (it == by_name.end()) fail("features", "history feature '", h, "' is not a declared feature");
    if (it->second->kind != FeatureKind::Sparse) fail("features", "history feature '", h, "' must be sparse");
    for (const char* prefix : {"hist_", "neg_hist_"}) {
      auto hs = by_name.find(prefix + h);
      if (hs == by_name.end()) {
        if (std::string(prefix) == "hist_")
          fail("features", "history feature '", h, "' has no varlen feature 'hist_", h, "'");
        continue;
      }
      const FeatureSpec& s = *hs->second;
      if (s.kind != FeatureKind::VarLenSparse) fail("features", "'", s.name, "' must be a varlen_sparse feature");
      if (s.embedding_dim != it->second->embedding_dim)
        fail("features", "'", s.name, "' has embedding_dim ", s.embedding_dim, " but '", h, "' has ",
             it->second->embedding_dim);
      if (!first_hist) {
        first_hist = &s;
      } else if (s.maxlen != first_hist->maxlen || s.length_name != first_hist->length_name) {
        fail("features", "history sequences '", first_hist->name, "' and '", s.name,
             "' must share maxlen and length column: maxlen ", first_hist->maxlen, " vs ", s.maxlen, ", length '",
             first_hist->length_name, "' vs '", s.length_name, "'");
      }
    }
  }
  if (!group.empty()) {
    auto it = by_name.find(group);
    if (it == by_name.end() || it->second->kind != FeatureKind::Sparse)
      fail("features", "group feature '", group, "' must be a declared sparse feature");
  }
}

nlohmann::json FeatureConfig::to_json() const {
  nlohmann::json fs = nlohmann::json::array();
  for (const auto& f : features) {
    nlohmann::json j{{"name", f.name}, {"kind", feature_kind_name(f.kind)}};
    if (f.kind == FeatureKind::Dense) {
      j["dimension"] = f.dimension;
    } else {
      j["vocabulary_size"] = f.vocabulary_size;
      j["embedding_dim"] = f.embedding_dim;
      j["embedding_name"] = f.table();
      if (f.kind == FeatureKind::VarLenSparse) {
        j["maxlen"] = f.maxlen;
        j["length_name"] = f.length_name;
        j["combiner"] = f.combiner;
      }
    }
    fs.push_back(j);
  }
  return nlohmann::json{{"features", fs}, {"history_features", history_features}, {"group", group}};
}

namespace {
template <class T>
T get(const nlohmann::json& j, const char* key, const std::string& where, const T& dflt, bool required) {
  if (!j.contains(key)) {
    if (required) fail("features", where, ": missing key \"", key, "\"");
    return dflt;
  }
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    fail("features", where, ".", key, ": wrong type (", json_excerpt(j.at(key)), ")");
  }
}
// Sizes are range-checked here: get<int64_t>() would wrap 2^64 - 1 to -1 and truncate 2.5.
int64_t get_size(const nlohmann::json& j, const char* key, const std::string& where, int64_t dflt, bool required,
                 int64_t hi) {
  if (!j.contains(key)) {
    if (required) fail("features", where, ": missing key \"", key, "\"");
    return dflt;
  }
  return json_integer(j.at(key), 1, hi, "features", where + "." + key);
}
}  // namespace

FeatureConfig FeatureConfig::from_json(const nlohmann::json& j) {
  if (!j.is_object()) fail("features", "$: expected an object, got ", json_excerpt(j));
  if (!j.contains("features") || !j["features"].is_array()) fail("features", "$.features: missing or not an array");
  FeatureConfig fc;
  const auto& fs = j["features"];
  for (size_t i = 0; i < fs.size(); ++i) {
    const std::string where = "$.features[" + std::to_string(i) + "]";
    const auto& e = fs[i];
    if (!e.is_object()) fail("features", where, ": expected an object");
    FeatureSpec f;
    f.name = get<std::string>(e, "name", where, "", true);
    f.kind = parse_kind(get<std::string>(e, "kind", where, "sparse", false), where + ".kind");
    if (f.kind == FeatureKind::Dense) {
      f.dimension = get_size(e, "dimension", where, 1, false, kMaxWidth);
    } else {
      f.vocabulary_size = get_size(e, "vocabulary_size", where, 0, true, kMaxVocabulary);
      f.embedding_dim = get_size(e, "embedding_dim", where, 0, true, kMaxWidth);
      f.embedding_name = get<std::string>(e, "embedding_name", where, "", false);
      if (f.embedding_name == f.name) f.embedding_name.clear();
      if (f.kind == FeatureKind::VarLenSparse) {
        f.maxlen = get_size(e, "maxlen", where, 0, true, kMaxWidth);
        f.length_name = get<std::string>(e, "length_name", where, "", true);
        f.combiner = get<std::string>(e, "combiner", where, "mean", false);
      }
    }
    fc.features.push_back(f);
  }
  fc.history_features = get<std::vector<std::string>>(j, "history_features", "$", {}, false);
  fc.group = get<std::string>(j, "group", "$", "", false);
  fc.validate();
  return fc;
}

}  // namespace dien
