// SPDX-License-Identifier: MIT
#include "data/vocabulary.h"

#include <limits>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <numeric>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/checked.h"
#include "core/error.h"
#include "core/json_limits.h"

namespace dien::data {

OovPolicy oov_policy_from_string(const std::string& s) {
  if (s == "error") return OovPolicy::Error;
  if (s == "bucket") return OovPolicy::Bucket;
  fail("vocabulary", "unknown OOV policy '", s, "' (expected error | bucket)");
}

const char* oov_policy_name(OovPolicy p) { return p == OovPolicy::Error ? "error" : "bucket"; }

Vocabulary::Vocabulary(std::vector<std::string> values, std::vector<int64_t> counts, OovPolicy policy)
    : values_(std::move(values)), counts_(std::move(counts)), policy_(policy) {
  if (counts_.empty()) counts_.assign(values_.size(), 0);
  DIEN_CHECK(counts_.size() == values_.size(), "vocabulary", values_.size(), " values but ", counts_.size(), " counts");
  build_index();
}

namespace {
uint64_t hash_of(std::string_view v) { return std::hash<std::string_view>{}(v) * 0x9E3779B97F4A7C15ull; }
}  // namespace

void Vocabulary::build_index() {
  if (values_.size() >= (size_t{1} << 30)) fail("vocabulary", values_.size(), " values: more than 2^30");
  size_t slots = 16;
  while (slots < 2 * values_.size()) slots *= 2;
  mask_ = slots - 1;
  slots_.assign(slots, Slot{});
  for (size_t i = 0; i < values_.size(); ++i) {
    const std::string& v = values_[i];
    if (find(v)) fail("vocabulary", "value '", v, "' appears twice (ids ", *find(v), " and ", i + 1, ")");
    const uint64_t h = hash_of(v);
    uint64_t s = h & mask_;
    while (slots_[s].id != 0) s = (s + 1) & mask_;
    Slot& slot = slots_[s];
    slot.id = static_cast<int32_t>(i + 1);
    if (v.size() <= sizeof slot.key) {
      slot.len = static_cast<uint8_t>(v.size());
      std::memcpy(slot.key, v.data(), v.size());
    } else {
      slot.len = kLong;
      const uint32_t tag = static_cast<uint32_t>(h >> 32);
      std::memcpy(slot.key, &tag, sizeof tag);
    }
  }
}

std::optional<int64_t> Vocabulary::find(std::string_view v) const {
  if (slots_.empty()) return std::nullopt;
  const uint64_t h = hash_of(v);
  const bool inline_key = v.size() <= sizeof(Slot::key);
  const uint32_t tag = static_cast<uint32_t>(h >> 32);
  for (uint64_t s = h & mask_;; s = (s + 1) & mask_) {
    const Slot& slot = slots_[s];
    if (slot.id == 0) return std::nullopt;
    if (inline_key) {
      if (slot.len == v.size() && std::memcmp(slot.key, v.data(), v.size()) == 0) return slot.id;
    } else if (slot.len == kLong) {
      uint32_t t;
      std::memcpy(&t, slot.key, sizeof t);
      if (t == tag && values_[static_cast<size_t>(slot.id - 1)] == v) return slot.id;
    }
  }
}

int64_t Vocabulary::lookup(std::string_view v, const Place& at, const char* op) {
  if (auto id = find(v)) return *id;
  if (policy_ == OovPolicy::Bucket) {
    ++oov_count_;
    return oov_id();
  }
  fail(op, describe(at), ": value '", std::string(v), "' is not in the vocabulary",
       name.empty() ? std::string() : " '" + name + "'", " (", num_values(), " values; use the bucket OOV policy to map unknown values to id ",
       oov_id(), ")");
}

const std::string& Vocabulary::value(int64_t id) const {
  DIEN_CHECK(id >= 1 && id <= num_values(), "vocabulary", "id ", id, " outside [1, ", num_values(), "]");
  return values_[static_cast<size_t>(id - 1)];
}

int64_t Vocabulary::count(int64_t id) const {
  DIEN_CHECK(id >= 1 && id <= num_values(), "vocabulary", "id ", id, " outside [1, ", num_values(), "]");
  return counts_[static_cast<size_t>(id - 1)];
}

nlohmann::json Vocabulary::to_json() const {
  return nlohmann::json{{"name", name}, {"values", values_}, {"counts", counts_}, {"oov_policy", oov_policy_name(policy_)}};
}

Vocabulary Vocabulary::from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("values") || !j["values"].is_array())
    fail("vocabulary", "JSON: expected an object with an array 'values'");
  std::vector<std::string> values;
  for (size_t i = 0; i < j["values"].size(); ++i) {
    const auto& v = j["values"][i];
    if (!v.is_string()) fail("vocabulary", "JSON: values[", i, "] is not a string: ", json_excerpt(v));
    values.push_back(v.get<std::string>());
  }
  std::vector<int64_t> counts;
  if (j.contains("counts")) {
    for (size_t i = 0; i < j["counts"].size(); ++i) {
      const auto& c = j["counts"][i];
      counts.push_back(json_integer(c, 0, std::numeric_limits<int64_t>::max(), "vocabulary",
                                    "JSON: counts[" + std::to_string(i) + "]"));
    }
  }
  OovPolicy p = OovPolicy::Error;
  if (j.contains("oov_policy")) p = oov_policy_from_string(j["oov_policy"].get<std::string>());
  Vocabulary voc(std::move(values), std::move(counts), p);
  if (j.contains("name")) voc.name = j["name"].get<std::string>();
  return voc;
}

void Vocabulary::save(const std::string& path) const {
  write_atomically(path, [&](std::ostream& os) { os << to_json().dump() << "\n"; });
}

Vocabulary Vocabulary::load(const std::string& path) {
  const nlohmann::json j = read_json_file(path, "vocabulary");
  try {
    return from_json(j);
  } catch (const Error& e) {
    fail("vocabulary", "'", path, "': ", e.what());
  }
}

void VocabularyBuilder::add(std::string_view v, int64_t n) {
  auto [it, inserted] = slot_.try_emplace(std::string(v), static_cast<int64_t>(order_.size()));
  if (inserted) order_.emplace_back(std::string(v), 0);
  order_[static_cast<size_t>(it->second)].second += n;
}

Vocabulary VocabularyBuilder::build(int64_t min_count, const std::string& name) const {
  std::vector<size_t> idx(order_.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return order_[a].second > order_[b].second; });
  std::vector<std::string> values;
  std::vector<int64_t> counts;
  for (size_t i : idx) {
    if (order_[i].second < min_count) continue;
    values.push_back(order_[i].first);
    counts.push_back(order_[i].second);
  }
  Vocabulary voc(std::move(values), std::move(counts));
  voc.name = name;
  return voc;
}

int64_t group_key(const Vocabulary& v, std::string_view raw) {
  if (auto id = v.find(raw)) return *id;
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : raw) h = (h ^ c) * 1099511628211ull;
  return -1 - static_cast<int64_t>(h >> 2);
}

}  // namespace dien::data
