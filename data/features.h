// SPDX-License-Identifier: MIT
// Feature description, as DeepCTR-Torch does it (SparseFeat, DenseFeat, VarLenSparseFeat):
//
//   dien::FeatureConfig fc;
//   fc.features = {
//       dien::FeatureSpec::sparse("user_id", 1000, 8),
//       dien::FeatureSpec::sparse("item_id", 5000, 8),
//       dien::FeatureSpec::sparse("cate_id", 100, 4),
//       dien::FeatureSpec::dense("price"),
//       dien::FeatureSpec::varlen("hist_item_id", 5000, 8, 50, "seq_length", "item_id"),
//       dien::FeatureSpec::varlen("hist_cate_id", 100, 4, 50, "seq_length", "cate_id"),
//       // with negative sampling for DIEN's auxiliary loss:
//       dien::FeatureSpec::varlen("neg_hist_item_id", 5000, 8, 50, "seq_length", "item_id"),
//       dien::FeatureSpec::varlen("neg_hist_cate_id", 100, 4, 50, "seq_length", "cate_id")};
//   fc.history_features = {"item_id", "cate_id"};   // DeepCTR's history_feature_list
//   fc.validate();
//
// Embedding tables are shared by `embedding_name` (default: the feature's own name), so
// "hist_item_id" above looks up the "item_id" table. Id 0 of a variable-length feature is
// padding by convention (readers never map a real value to 0), but padding is defined by the
// length column, not by the id. The behaviour history of history feature f is the varlen
// feature "hist_<f>"; its negatives for the auxiliary loss are "neg_hist_<f>".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace dien {

enum class FeatureKind : uint8_t { Sparse, Dense, VarLenSparse };
const char* feature_kind_name(FeatureKind k);  // "sparse", "dense", "varlen_sparse"

struct FeatureSpec {
  std::string name;
  FeatureKind kind = FeatureKind::Sparse;
  int64_t vocabulary_size = 0;    // sparse, varlen: ids lie in [0, vocabulary_size)
  int64_t embedding_dim = 0;      // sparse, varlen
  std::string embedding_name;     // the table this feature looks up; defaults to name
  int64_t dimension = 1;          // dense: values per row
  int64_t maxlen = 0;             // varlen: ids per row (the padded width)
  std::string length_name;        // varlen: the column holding each row's valid length
  std::string combiner = "mean";  // varlen pooling where a model pools it: sum | mean | max

  static FeatureSpec sparse(const std::string& name, int64_t vocabulary_size, int64_t embedding_dim,
                            const std::string& embedding_name = "");
  static FeatureSpec dense(const std::string& name, int64_t dimension = 1);
  static FeatureSpec varlen(const std::string& name, int64_t vocabulary_size, int64_t embedding_dim, int64_t maxlen,
                            const std::string& length_name, const std::string& embedding_name = "",
                            const std::string& combiner = "mean");
  const std::string& table() const { return embedding_name.empty() ? name : embedding_name; }
};

struct FeatureConfig {
  std::vector<FeatureSpec> features;
  std::vector<std::string> history_features;  // sparse features with a "hist_<f>" sequence
  std::string group;                          // optional: the feature that names the user (GAUC)

  const FeatureSpec* find(const std::string& name) const;  // nullptr when absent
  const FeatureSpec& at(const std::string& name) const;    // throws dien::Error naming it
  std::vector<const FeatureSpec*> of_kind(FeatureKind k) const;
  // The distinct length columns of the varlen features, in order of first use.
  std::vector<std::string> length_columns() const;
  // Throws dien::Error naming the feature when: a name is empty or repeated; a size is <= 0; a
  // varlen feature has no length column; features sharing a table disagree on vocabulary or
  // dimension; a history feature is missing, not sparse, or has no "hist_<f>" varlen feature;
  // hist_/neg_hist_ sequences of the history features differ in maxlen or length column; a group
  // feature is missing or not sparse.
  void validate() const;
  bool has_negatives() const;  // every history feature has "neg_hist_<f>"

  nlohmann::json to_json() const;
  static FeatureConfig from_json(const nlohmann::json& j);  // errors name the JSON path
};

}  // namespace dien
