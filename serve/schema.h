// SPDX-License-Identifier: MIT
// Schema: what a scoring request may name, for one session: each of the model's features with
// its role, the names a request may carry but the model ignores, and the id mapping of raw
// values (data/id_mapping.h). Shared, read-only, by a Session and the Requests it makes.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "data/id_mapping.h"
#include "serve/plan.h"

namespace dien::serve {

enum class Role : uint8_t {
  Query,     // a history feature f: the candidate's item (set per candidate)
  Sequence,  // "hist_<f>": the user's behaviour history (oldest first)
  Sparse,    // another sparse feature: the user's (set_user) or each candidate's
  Dense,     // a dense feature: the user's or each candidate's
  Pooled,    // another varlen feature (DIN, base model): the user's, pooled by its combiner
  Ignored,   // known but unused: neg_hist_*, length columns, features the model left out
};
const char* role_name(Role r);

struct SlotInfo {
  std::string name;
  Role role = Role::Ignored;
  int64_t dim = 0;     // dense: values per row; sparse/varlen: embedding dim
  int64_t maxlen = 0;  // Sequence, Pooled
  int history = -1;    // Query, Sequence: index into plan.history
};

struct Schema {
  std::shared_ptr<const ServingPlan> plan;
  data::IdMapping ids;
  std::vector<SlotInfo> slots;
  std::unordered_map<std::string, int> index;  // name -> slot
  std::vector<int> query_slot, sequence_slot;  // per history feature i: its Query / Sequence slot
  std::vector<int> segment_slot;               // per plan segment: the slot of its feature (-1: none)
  // A column left unset that the checkpoint can fill from another history feature's column (a
  // category from its item): from = that feature's index, else -1.
  struct Derived {
    int from = -1;
    const data::IdMapping::Derivation* how = nullptr;
    std::string table;  // the filled column's table
  };
  std::vector<Derived> query_derived, sequence_derived;  // per history feature

  static std::shared_ptr<const Schema> build(std::shared_ptr<const ServingPlan> plan, data::IdMapping ids);
  // The slot of `name`; throws dien::Error("request: unknown feature '<name>'; the model's features: ...").
  int slot_of(const std::string& name) const;
  std::string feature_list() const;  // "user_id (sparse), item_id (candidate item), ..."
};

}  // namespace dien::serve
