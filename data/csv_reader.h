// SPDX-License-Identifier: MIT
// A generic CSV/TSV reader driven by a JSON column spec:
//
//   {"delimiter": ",", "header": true, "oov": "error",
//    "columns": [                                   // in file order, one per column
//      {"name": "label", "role": "label"},
//      {"name": "user_id", "role": "sparse", "embedding_dim": 8},
//      {"name": "price", "role": "dense"},
//      {"name": "hist_item_id", "role": "varlen", "separator": "|", "maxlen": 50,
//       "length": "seq_length", "embedding_name": "item_id", "embedding_dim": 8, "truncate": true},
//      {"name": "seq_length", "role": "length"},   // optional: else counted from the tokens
//      {"name": "comment", "role": "ignore"}],
//    "history_features": ["item_id"], "group": "user_id"}
//
//   dien::data::CsvSpec spec = dien::data::CsvSpec::load("spec.json");
//   dien::data::CsvVocabularies voc = dien::data::build_csv_vocabularies("train.csv", spec);
//   dien::data::LoadedData d = dien::data::load_csv("train.csv", spec, voc);
//
// Sparse and varlen values are strings (spaces around them trimmed, valid UTF-8) mapped through
// one vocabulary per embedding table (ids 1..n, 0 = padding). A varlen value runs oldest ->
// newest; with a length column, the values after the first `length` must be padding (empty or
// 0). Above maxlen values the most recent maxlen are kept, as every reader does ("truncate":
// false makes it an error). Lengths are canonical integers, dense values finite 32-bit floats,
// labels 0 or 1 (binary_labels). Aux-loss negatives are not generated here.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "data/amazon_format.h"  // LoadedData, ChunkCallback
#include "data/vocabulary.h"

namespace dien::data {

struct CsvColumn {
  std::string name;
  std::string role;  // label | sparse | dense | varlen | length | ignore
  int64_t embedding_dim = 8;
  std::string embedding_name;  // sparse/varlen: the shared table (default: name)
  char separator = '|';        // varlen
  int64_t maxlen = 0;          // varlen
  std::string length;          // varlen: length column name
  bool truncate = true;        // varlen: above maxlen keep the most recent maxlen (false: an error)
  std::string table() const { return embedding_name.empty() ? name : embedding_name; }
};

struct CsvSpec {
  char delimiter = ',';
  bool header = true;
  OovPolicy oov = OovPolicy::Error;
  std::vector<CsvColumn> columns;
  std::vector<std::string> history_features;
  std::string group;
  int64_t chunk_rows = 65536;
  // Labels must be 0 or 1 (a binary task); false: any finite number (regression). Not part of
  // the JSON: the task decides (`dien train --task`).
  bool binary_labels = true;
  // Errors name the JSON path ("columns[2].maxlen: ...").
  static CsvSpec from_json(const nlohmann::json& j);
  static CsvSpec load(const std::string& path);
};

using CsvVocabularies = std::map<std::string, Vocabulary>;  // table name -> vocabulary

CsvVocabularies build_csv_vocabularies(const std::string& path, const CsvSpec& spec);
void save_csv_vocabularies(const std::string& path, const CsvVocabularies& v);
nlohmann::json csv_vocabularies_to_json(const CsvVocabularies& v);
CsvVocabularies csv_vocabularies_from_json(const nlohmann::json& j);
CsvVocabularies load_csv_vocabularies(const std::string& path);

FeatureConfig csv_features(const CsvSpec& spec, const CsvVocabularies& v);
void read_csv(const std::string& path, const CsvSpec& spec, CsvVocabularies& v, const ChunkCallback& on_chunk);
LoadedData load_csv(const std::string& path, const CsvSpec& spec, CsvVocabularies& v);

}  // namespace dien::data
