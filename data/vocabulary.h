// SPDX-License-Identifier: MIT
// Vocabulary: string -> int64 id maps built from data. Id 0 is padding/unknown by convention and
// never given to a value; values get ids 1..n by frequency (descending), ties by first
// appearance, so a vocabulary is deterministic for a given input order; id n+1 is reserved for
// out-of-vocabulary values, so size() = n + 2 whatever the policy (train with OovPolicy::Error,
// evaluate with Bucket: the embedding table size is the same).
//
//   dien::data::VocabularyBuilder b;
//   for (auto& v : values) b.add(v);
//   dien::data::Vocabulary voc = b.build();            // ids 1..n
//   int64_t id = voc.lookup("i42", place);             // Error policy: throws naming place + value
//   voc.set_policy(dien::data::OovPolicy::Bucket);
//   voc.lookup("never-seen", place);                   // -> voc.oov_id(); voc.oov_count() == 1
//   voc.save("item_voc.json"); auto v2 = dien::data::Vocabulary::load("item_voc.json");
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "data/text_io.h"

namespace dien::data {

enum class OovPolicy : uint8_t { Error, Bucket };
OovPolicy oov_policy_from_string(const std::string& s);  // "error" | "bucket"
const char* oov_policy_name(OovPolicy p);

class Vocabulary {
 public:
  Vocabulary() = default;
  // Values in id order (values[0] gets id 1), with their counts (may be empty: all 0).
  Vocabulary(std::vector<std::string> values, std::vector<int64_t> counts = {}, OovPolicy policy = OovPolicy::Error);

  int64_t num_values() const { return static_cast<int64_t>(values_.size()); }
  int64_t size() const { return num_values() + 2; }  // ids in [0, size): pad, values, oov
  int64_t oov_id() const { return num_values() + 1; }
  std::optional<int64_t> find(std::string_view v) const;
  // The id of v; when absent: Error policy throws dien::Error("<op>: <place>: value 'v' is not
  // in the vocabulary '<name>' (n values)"), Bucket policy returns oov_id() and counts it.
  int64_t lookup(std::string_view v, const Place& at, const char* op = "vocabulary");
  const std::string& value(int64_t id) const;  // id in [1, n]
  int64_t count(int64_t id) const;

  OovPolicy policy() const { return policy_; }
  void set_policy(OovPolicy p) { policy_ = p; }
  int64_t oov_count() const { return oov_count_; }
  void reset_oov_count() { oov_count_ = 0; }
  std::string name;  // for messages ("item", "category", ...)

  nlohmann::json to_json() const;  // {"name", "values": [...], "counts": [...]}
  static Vocabulary from_json(const nlohmann::json& j);
  void save(const std::string& path) const;  // atomic write
  static Vocabulary load(const std::string& path);

 private:
  std::vector<std::string> values_;
  std::vector<int64_t> counts_;
  // Open-addressing index over values_ (a serving request maps hundreds of values, so a lookup
  // should cost one hash and one cache line): a slot holds the id (0: empty) and, for values of
  // up to 11 bytes (most ids), the value itself; longer values keep 4 bytes of their hash there
  // and are compared with values_.
  struct Slot {
    int32_t id = 0;
    uint8_t len = 0;  // 0..11: the value is key[0, len); kLong: see values_[id - 1]
    char key[11] = {};
  };
  static constexpr uint8_t kLong = 0xFF;
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  void build_index();
  OovPolicy policy_ = OovPolicy::Error;
  int64_t oov_count_ = 0;
};

// A key for GAUC's per-user groups: the value's id when the vocabulary knows it, else a negative
// FNV-1a hash of the raw value, so unknown users (all mapped to the one OOV id) stay apart.
int64_t group_key(const Vocabulary& v, std::string_view raw);

class VocabularyBuilder {
 public:
  void add(std::string_view v, int64_t n = 1);
  // Values seen at least min_count times, by count desc then first appearance.
  Vocabulary build(int64_t min_count = 1, const std::string& name = "") const;
  int64_t distinct() const { return static_cast<int64_t>(order_.size()); }

 private:
  std::unordered_map<std::string, int64_t> slot_;  // value -> index in order_
  std::vector<std::pair<std::string, int64_t>> order_;  // first-appearance order, counts
};

}  // namespace dien::data
