// SPDX-License-Identifier: MIT
// Schema (serve/schema.h) and Request (serve/request.h): raw values mapped to ids as they are set.
#include <algorithm>
#include <cmath>

#include "core/checked.h"
#include "core/error.h"
#include "serve/request.h"
#include "serve/schema.h"

namespace dien::serve {

namespace {
constexpr const char* kOp = "request";
}

const char* role_name(Role r) {
  switch (r) {
    case Role::Query: return "candidate item";
    case Role::Sequence: return "history";
    case Role::Sparse: return "sparse";
    case Role::Dense: return "dense";
    case Role::Pooled: return "sequence";
    case Role::Ignored: return "ignored";
  }
  return "?";
}

std::shared_ptr<const Schema> Schema::build(std::shared_ptr<const ServingPlan> plan, data::IdMapping ids) {
  auto s = std::make_shared<Schema>();
  const FeatureConfig& fc = plan->features;
  const auto& hist = plan->history;
  auto history_index = [&](const std::string& name, const char* prefix) {
    for (size_t i = 0; i < hist.size(); ++i)
      if (name == prefix + hist[i]) return static_cast<int>(i);
    return -1;
  };
  auto add = [&](SlotInfo info) {
    if (s->index.count(info.name)) return;
    s->index[info.name] = static_cast<int>(s->slots.size());
    s->slots.push_back(std::move(info));
  };
  s->query_slot.assign(hist.size(), -1);
  s->sequence_slot.assign(hist.size(), -1);
  for (const FeatureSpec& f : fc.features) {
    SlotInfo info;
    info.name = f.name;
    info.dim = f.kind == FeatureKind::Dense ? f.dimension : f.embedding_dim;
    info.maxlen = f.maxlen;
    if (f.kind == FeatureKind::Dense) {
      info.role = Role::Dense;
    } else if (f.kind == FeatureKind::Sparse) {
      info.history = history_index(f.name, "");
      info.role = info.history >= 0 ? Role::Query : Role::Sparse;
    } else if ((info.history = history_index(f.name, "hist_")) >= 0) {
      info.role = Role::Sequence;
    } else if (history_index(f.name, "neg_hist_") >= 0) {
      info.role = Role::Ignored;
    } else {
      info.role = plan->kind == "dien" ? Role::Ignored : Role::Pooled;  // DIEN does not use them
    }
    if (info.role == Role::Query) s->query_slot[static_cast<size_t>(info.history)] = static_cast<int>(s->slots.size());
    if (info.role == Role::Sequence)
      s->sequence_slot[static_cast<size_t>(info.history)] = static_cast<int>(s->slots.size());
    add(std::move(info));
  }
  for (const auto& lc : fc.length_columns()) add(SlotInfo{lc, Role::Ignored});
  for (const auto& h : hist) add(SlotInfo{"neg_hist_" + h, Role::Ignored});
  s->plan = std::move(plan);
  s->ids = std::move(ids);
  for (const Segment& sg : s->plan->segments) s->segment_slot.push_back(sg.feature.empty() ? -1 : s->index.at(sg.feature));
  // Derivations, found once: for history feature i, the feature j whose table maps into i's.
  auto derived = [&](const std::string& prefix) {
    std::vector<Schema::Derived> out(hist.size());
    for (size_t i = 0; i < hist.size(); ++i) {
      const std::string table = fc.at(prefix + hist[i]).table();
      const data::IdMapping::Derivation* d = s->ids.derivation_for(table);
      for (size_t j = 0; d && j < hist.size() && out[i].from < 0; ++j)
        if (j != i && fc.at(prefix + hist[j]).table() == d->source_table) out[i] = {static_cast<int>(j), d, table};
    }
    return out;
  };
  s->query_derived = derived("");
  s->sequence_derived = derived("hist_");
  return s;
}

int Schema::slot_of(const std::string& name) const {
  auto it = index.find(name);
  if (it != index.end()) return slots[static_cast<size_t>(it->second)].role == Role::Ignored ? -1 : it->second;
  if (ids.is_excluded(name)) return -1;
  fail(kOp, "unknown feature '", name, "'; the model's features: ", feature_list());
}

std::string Schema::feature_list() const {
  std::string out;
  for (const auto& s : slots) {
    if (s.role == Role::Ignored) continue;
    out += (out.empty() ? "" : ", ") + s.name + " (" + role_name(s.role) + ")";
  }
  return out;
}

// ---- Request ----------------------------------------------------------------------------------

Request::Request(std::shared_ptr<const Schema> schema) : schema_(std::move(schema)) {
  if (!schema_) fail(kOp, "no schema (make requests with Session::new_request())");
  slots_.resize(schema_->slots.size());
}

Request::Slot* Request::slot(const std::string& feature, int& index) {
  index = schema_->slot_of(feature);
  return index < 0 ? nullptr : &slots_[static_cast<size_t>(index)];
}

void Request::set_k(int64_t k, const std::string& feature) {
  if (k <= 0) fail(kOp, "feature '", feature, "': a candidate column needs at least one value (got 0 candidates)");
  if (k_ != 0 && k != k_)
    fail(kOp, "feature '", feature, "' has ", k, " candidate values but the request already has ", k_,
         " candidates (clear() to start a new request)");
  k_ = k;
}

void Request::set_user(const std::string& feature, std::string_view value) {
  int i;
  Slot* sp = slot(feature, i);
  if (!sp) return;  // a name the model ignores
  Slot& s = *sp;
  const SlotInfo& info = schema_->slots[static_cast<size_t>(i)];
  if (info.role == Role::Query)
    fail(kOp, "feature '", feature, "' is the candidate's item: set it with set_candidates (one value per candidate)");
  if (info.role != Role::Sparse)
    fail(kOp, "feature '", feature, "' is a ", role_name(info.role), " feature: set it with ",
         info.role == Role::Dense ? "set_user_dense" : "set_sequence");
  s.ids.assign(1, schema_->ids.map(feature, value, kOp, &oov_));
  s.state = Slot::User;
}

void Request::set_user_dense(const std::string& feature, const float* values, size_t n) {
  int i;
  Slot* sp = slot(feature, i);
  if (!sp) return;  // a name the model ignores
  Slot& s = *sp;
  const SlotInfo& info = schema_->slots[static_cast<size_t>(i)];
  if (info.role != Role::Dense)
    fail(kOp, "feature '", feature, "' is a ", role_name(info.role), " feature, not dense");
  if (static_cast<int64_t>(n) != info.dim)
    fail(kOp, "dense feature '", feature, "' takes ", info.dim, " values, got ", n);
  if (n && !values) fail(kOp, "dense feature '", feature, "': values is null");
  for (size_t j = 0; j < n; ++j)
    if (!std::isfinite(values[j])) fail(kOp, "dense feature '", feature, "': value ", j, " is ", values[j], " (not finite)");
  s.values.assign(values, values + n);
  s.state = Slot::User;
}

// ids[0 .. n - first) = the mapped values[first .. n) of `feature`; on a bad value the slot is
// unset and the error names the value's position (`what` its kind: "position", "candidate").
template <class Strings>
void Request::map_into(Slot& s, const std::string& feature, const Strings& values, size_t first, size_t n,
                       const char* what) {
  s.ids.resize(n - first);
  const data::IdMapping::Column col = schema_->ids.column(feature, kOp);
  for (size_t j = first; j < n; ++j) {
    try {
      s.ids[j - first] = schema_->ids.map(col, std::string_view(values[j]), kOp, &oov_);
    } catch (const Error& e) {
      s.ids.clear();
      s.state = Slot::Unset;
      throw Error(std::string(e.what()) + " (" + what + " " + std::to_string(j) + ")");
    }
  }
}

template <class Strings>
void Request::put_sequence(const std::string& feature, const Strings& values, size_t n) {
  int i;
  Slot* sp = slot(feature, i);
  if (!sp) return;  // a name the model ignores
  Slot& s = *sp;
  const SlotInfo& info = schema_->slots[static_cast<size_t>(i)];
  if (info.role != Role::Sequence && info.role != Role::Pooled)
    fail(kOp, "feature '", feature, "' is a ", role_name(info.role), " feature, not a sequence");
  // The most recent maxlen values, as the readers keep them.
  const size_t first = n > static_cast<size_t>(info.maxlen) ? n - static_cast<size_t>(info.maxlen) : 0;
  map_into(s, feature, values, first, n, "position");
  s.state = Slot::User;
}

void Request::set_sequence(const std::string& feature, const std::string_view* values, size_t n) {
  if (n && !values) fail(kOp, "feature '", feature, "': values is null");
  put_sequence(feature, values, n);
}
void Request::set_sequence(const std::string& feature, const std::vector<std::string>& values) {
  put_sequence(feature, values, values.size());
}

template <class Strings>
void Request::put_candidates(const std::string& feature, const Strings& values, size_t k) {
  int i;
  Slot* sp = slot(feature, i);
  if (!sp) return;  // a name the model ignores
  Slot& s = *sp;
  const SlotInfo& info = schema_->slots[static_cast<size_t>(i)];
  if (info.role != Role::Query && info.role != Role::Sparse)
    fail(kOp, "feature '", feature, "' is a ", role_name(info.role), " feature: ",
         info.role == Role::Dense ? "set it with set_candidates_dense" : "it belongs to the user");
  const int64_t old_k = k_;
  set_k(static_cast<int64_t>(k), feature);
  try {
    map_into(s, feature, values, 0, k, "candidate");
  } catch (const Error&) {
    k_ = old_k;
    throw;
  }
  s.state = Slot::Candidates;
}

void Request::set_candidates(const std::string& feature, const std::string_view* values, size_t k) {
  if (k && !values) fail(kOp, "feature '", feature, "': values is null");
  put_candidates(feature, values, k);
}
void Request::set_candidates(const std::string& feature, const std::vector<std::string>& values) {
  put_candidates(feature, values, values.size());
}

void Request::set_candidates_dense(const std::string& feature, const float* values, size_t k, size_t dim) {
  int i;
  Slot* sp = slot(feature, i);
  if (!sp) return;  // a name the model ignores
  Slot& s = *sp;
  const SlotInfo& info = schema_->slots[static_cast<size_t>(i)];
  if (info.role != Role::Dense) fail(kOp, "feature '", feature, "' is a ", role_name(info.role), " feature, not dense");
  if (static_cast<int64_t>(dim) != info.dim)
    fail(kOp, "dense feature '", feature, "' takes ", info.dim, " values per candidate, got ", dim);
  if (k > static_cast<size_t>(INT64_MAX)) fail(kOp, "dense feature '", feature, "': ", k, " candidates is too many");
  set_k(static_cast<int64_t>(k), feature);
  if (!values) fail(kOp, "dense feature '", feature, "': values is null");
  // k comes from the caller: k * dim must not wrap to a short read.
  const size_t n = checked_mul(k, dim, kOp, "dense feature '", feature, "': ", k, " candidates of ", dim, " values");
  for (size_t j = 0; j < n; ++j)
    if (!std::isfinite(values[j]))
      fail(kOp, "dense feature '", feature, "': candidate ", j / dim, " value ", j % dim, " is ", values[j], " (not finite)");
  s.values.assign(values, values + n);
  s.state = Slot::Candidates;
}

void Request::set_user_key(std::string_view key) { user_key_.assign(key); }

void Request::clear() {
  for (auto& s : slots_) {
    s.state = Slot::Unset;
    s.ids.clear();
    s.values.clear();
  }
  k_ = 0;
  oov_ = 0;
  user_key_.clear();
}

int64_t Request::candidates() const { return k_; }

}  // namespace dien::serve
