// SPDX-License-Identifier: MIT
// Session (serve/session.h): opening, request validation (serve/request.h roles, derived category
// columns), the user-state cache, and the scratch pool of scoring calls.
#include "serve/session.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_limits.h"
#include "core/threads.h"
#include "models/checkpoint.h"
#include "serve/arena.h"
#include "serve/errors.h"
#include "serve/plan.h"
#include "serve/schema.h"
#include "serve/scorer.h"

namespace dien::serve {

namespace {
constexpr const char* kReq = "request";
}

// A request after validation: the scorer's inputs, plus the cache entry it reads (locked while
// it is read). Kept in a Scratch, so its vectors keep their memory from call to call.
struct Session::Resolved {
  ScoreInputs in;
  std::vector<const int64_t*> seq;
  std::vector<int64_t> len;
  std::shared_ptr<UserStateCache::Entry> entry;
  std::unique_lock<std::mutex> lock;
  void release() {
    if (lock.owns_lock()) lock.unlock();
    lock = std::unique_lock<std::mutex>();
    entry.reset();
  }
};

// Everything a scoring call needs besides its inputs: arenas (one per thread) and the resolved
// request. Reused, so that a warm call allocates nothing.
struct Session::Scratch {
  std::thread::id owner;  // the thread that used it last: its memory is in that core's caches
  std::vector<std::unique_ptr<Arena>> arenas;
  std::vector<Arena*> view_;
  Resolved res;
  const std::vector<Arena*>& view(int n) {
    while (static_cast<int>(arenas.size()) < n) arenas.push_back(std::make_unique<Arena>());
    view_.clear();
    for (int i = 0; i < n; ++i) {
      arenas[static_cast<size_t>(i)]->reset();
      view_.push_back(arenas[static_cast<size_t>(i)].get());
    }
    return view_;
  }
};

struct Session::Pool {
  std::mutex mu;
  std::vector<std::unique_ptr<Scratch>> idle;
};

// A scratch checked out of the pool for one call, back in the pool when the call ends (by an
// exception too).
struct Session::Lease {
  const Session& s;
  std::unique_ptr<Scratch> scratch;
  explicit Lease(const Session& session) : s(session), scratch(session.checkout()) {}
  ~Lease() { s.checkin(std::move(scratch)); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
};

Session::~Session() = default;

std::shared_ptr<Session> Session::open(const std::string& path, const SessionOptions& options) {
  std::string dir;
  nlohmann::json config;
  std::shared_ptr<const CtrModel> model;
  try {
    dir = resolve_checkpoint(path);
    config = read_checkpoint_config(dir);
    model = load_model(dir, CheckpointLoadOptions{options.allow_nonfinite_weights});
  } catch (const Error& e) {
    raise<ModelError>("Session::open", "cannot open model '", path, "': ", e.what());
  }
  try {
    return from_model(std::move(model), config["data"].dump(), options);
  } catch (const Error& e) {
    raise<ModelError>("Session::open", dir, ": ", e.what());
  }
}

std::shared_ptr<Session> Session::from_model(std::shared_ptr<const CtrModel> model, const std::string& data_slot_json,
                                             const SessionOptions& options) {
  if (!model) fail("Session", "the model is null");
  if (options.threads < 0) fail("Session", "threads must be >= 0 (0: the library default), got ", options.threads);
  nlohmann::json slot = nlohmann::json::object();
  if (!data_slot_json.empty()) {
    slot = parse_json_limited(data_slot_json, "the data slot", "Session");
  }
  std::shared_ptr<Session> s(new Session());
  s->options_ = options;
  s->threads_ = options.threads;
  const Kernels& k = select_kernels(options.isa.c_str());
  s->plan_ = ServingPlan::build(std::move(model), k);
  s->schema_ = Schema::build(s->plan_, data::IdMapping::from_slot(slot, s->plan_->features, options.oov));
  if (options.user_cache_capacity > 0) s->cache_ = std::make_unique<UserStateCache>(options.user_cache_capacity);
  s->pool_ = std::make_unique<Pool>();
  return s;
}

Request Session::new_request() const { return Request(schema_); }
const CtrModel& Session::model() const { return *plan_->model; }
std::shared_ptr<const CtrModel> Session::model_ptr() const { return plan_->model; }
const char* Session::isa() const { return plan_->k->isa; }
int64_t Session::maxlen() const { return plan_->maxlen; }

std::vector<FeatureInfo> Session::features() const {
  std::vector<FeatureInfo> out;
  for (const SlotInfo& s : schema_->slots)
    if (s.role != Role::Ignored) out.push_back(FeatureInfo{s.name, role_name(s.role), s.dim, s.maxlen});
  return out;
}

// The scratch this thread used last when it is idle (so that two request threads do not trade
// their scratch memory between cores on every call), else any idle one, else a new one.
std::unique_ptr<Session::Scratch> Session::checkout() const {
  const std::thread::id me = std::this_thread::get_id();
  std::lock_guard<std::mutex> lock(pool_->mu);
  auto& idle = pool_->idle;
  if (idle.empty()) {
    auto s = std::make_unique<Scratch>();
    s->owner = me;
    return s;
  }
  size_t pick = idle.size() - 1;
  for (size_t i = 0; i < idle.size(); ++i)
    if (idle[i]->owner == me) pick = i;
  std::unique_ptr<Scratch> s = std::move(idle[pick]);
  idle.erase(idle.begin() + static_cast<std::ptrdiff_t>(pick));
  s->owner = me;
  return s;
}

void Session::checkin(std::unique_ptr<Scratch> s) const {
  std::lock_guard<std::mutex> lock(pool_->mu);
  pool_->idle.push_back(std::move(s));
}

namespace {

// Advances a DIEN state over its events [t0, L) (t0 = 0: from scratch), with room for maxlen + 1
// states (an append past a full window holds one more until the oldest is dropped).
void extend(const ServingPlan& p, UserState& st, int64_t t0, Arena& arena) {
  if (p.kind != "dien" || st.L <= t0) return;
  const int64_t Ep = p.Ep, cap = p.maxlen + 1;
  st.interests.resize(static_cast<size_t>(cap * Ep));
  if (p.evolution == Evolution::Gru) st.evolved.resize(static_cast<size_t>(cap * Ep));
  HistoryIds h;
  for (auto& v : st.ids) h.seq.push_back(v.data());
  h.L = st.L;
  float* keys = arena.alloc((st.L - t0) * Ep);
  embed_events(p, h, t0, st.L - t0, keys);
  advance_states(p, keys, t0, st.L, st.interests.data(), st.evolved.data(), arena);
}

// A DIEN state's states for all of its ids, from scratch.
void recompute(const ServingPlan& p, UserState& st, Arena& arena) {
  st.stale = false;
  extend(p, st, 0, arena);
}

}  // namespace

void Session::resolve(const Request& r, Resolved& out, Arena& arena) const {
  const ServingPlan& p = *plan_;
  const Schema& sc = *schema_;
  const data::IdMapping& ids = sc.ids;
  using Slot = Request::Slot;
  const int64_t K = r.k_;
  if (K == 0)
    fail(kReq, "no candidates: set each candidate's ", p.history[0], " (and its other features) with set_candidates");
  ScoreInputs& in = out.in;
  in.K = K;
  const size_t nh = p.history.size();

  // The column of an unset history feature derived (Schema::Derived) from the set column of
  // another (a category from its item), or null.
  auto derive = [&](const Schema::Derived& d, const std::vector<int>& slots, Slot::State state,
                    int64_t& n) -> const int64_t* {
    if (d.from < 0) return nullptr;
    const Slot& src = r.slots_[static_cast<size_t>(slots[static_cast<size_t>(d.from)])];
    if (src.state != state) return nullptr;
    n = static_cast<int64_t>(src.ids.size());
    int64_t* v = arena.alloc_ids(std::max<int64_t>(n, 1));
    for (int64_t i = 0; i < n; ++i) v[i] = ids.derive(*d.how, d.table, src.ids[static_cast<size_t>(i)]);
    return v;
  };

  // Candidates' items.
  in.query.assign(nh, nullptr);
  for (size_t i = 0; i < nh; ++i) {
    const Slot& s = r.slots_[static_cast<size_t>(sc.query_slot[i])];
    if (s.state == Slot::Candidates) {
      in.query[i] = s.ids.data();
      continue;
    }
    int64_t n = 0;
    in.query[i] = derive(sc.query_derived[i], sc.query_slot, Slot::Candidates, n);
    if (!in.query[i])
      fail(kReq, "feature '", p.history[i], "' is missing: set each candidate's value with set_candidates");
  }

  // The history: given, derived, or from the user-state cache.
  std::vector<const int64_t*>& seq = out.seq;
  std::vector<int64_t>& len = out.len;
  seq.assign(nh, nullptr);
  len.assign(nh, -1);
  size_t given = 0;
  static const int64_t kNone = 0;  // a non-null pointer for empty histories
  for (size_t i = 0; i < nh; ++i) {
    const Slot& s = r.slots_[static_cast<size_t>(sc.sequence_slot[i])];
    if (s.state == Slot::User) {
      seq[i] = s.ids.empty() ? &kNone : s.ids.data();
      len[i] = static_cast<int64_t>(s.ids.size());
      ++given;
    }
  }
  for (size_t i = 0; i < nh && given > 0; ++i)
    if (!seq[i]) seq[i] = derive(sc.sequence_derived[i], sc.sequence_slot, Slot::User, len[i]);
  for (size_t i = 0; i < nh && given > 0; ++i)
    if (!seq[i])
      fail(kReq, "history '", p.sequences[i], "' is missing while '", p.sequences[i == 0 ? 1 : 0],
           "' is set: set every history feature (an empty history is legal)");
  for (size_t i = 1; i < nh && given > 0; ++i)
    if (len[i] != len[0])
      fail(kReq, "history '", p.sequences[i], "' has ", len[i], " events but '", p.sequences[0], "' has ", len[0],
           ": every history feature needs one value per event");
  const std::string& key = r.user_key_;
  if (!key.empty() && cache_) {
    if (given > 0) {
      out.entry = cache_->get_or_create(key);
      out.lock = std::unique_lock<std::mutex>(out.entry->mu);
      UserState& st = out.entry->state;
      const int64_t L = len[0];
      bool prefix = !st.stale && st.L > 0 && st.L <= L && static_cast<int64_t>(st.ids.size()) == static_cast<int64_t>(nh);
      for (size_t i = 0; i < nh && prefix; ++i) prefix = std::equal(st.ids[i].begin(), st.ids[i].begin() + st.L, seq[i]);
      if (prefix && st.L == L) {
        cache_->count_hit();
      } else {
        const int64_t t0 = prefix ? st.L : 0;
        st.ids.resize(nh);
        for (size_t i = 0; i < nh; ++i) {
          st.ids[i].reserve(static_cast<size_t>(p.maxlen + 1));
          st.ids[i].assign(seq[i], seq[i] + L);
        }
        const bool was_new = st.L == 0 && !st.stale;
        st.L = L;
        if (prefix) {
          extend(p, st, t0, arena);
          cache_->count_extended();
        } else {
          recompute(p, st, arena);
          if (was_new) cache_->count_miss();
          else cache_->count_recomputed();
        }
      }
    } else {
      out.entry = cache_->find(key);
      if (!out.entry)
        raise<NotFoundError>(kReq, "user key '", key,
                             "' has no cached history: give the history (set_sequence) or append events first");
      out.lock = std::unique_lock<std::mutex>(out.entry->mu);
      UserState& st = out.entry->state;
      if (st.stale) {
        recompute(p, st, arena);
        cache_->count_recomputed();
      } else {
        cache_->count_hit();
      }
    }
    UserState& st = out.entry->state;
    in.history.L = st.L;
    in.history.seq.clear();
    for (size_t i = 0; i < nh; ++i) in.history.seq.push_back(st.ids[i].data());
    in.interests = p.kind == "dien" ? st.interests.data() : nullptr;
    in.evolved = p.kind == "dien" && p.evolution == Evolution::Gru ? st.evolved.data() : nullptr;
  } else {
    if (given == 0)
      fail(kReq, "the history is missing: set ", p.sequences[0],
           nh > 1 ? " and the other hist_* features" : "", " with set_sequence (0 events is legal)",
           key.empty() ? "" : "; this session has no user-state cache for the user key");
    in.history.seq = seq;
    in.history.L = len[0];
    in.interests = nullptr;
    in.evolved = nullptr;
  }

  // The first DNN layer's segments.
  in.segments.assign(p.segments.size(), SegmentValue{});
  for (size_t s = 0; s < p.segments.size(); ++s) {
    const Segment& sg = p.segments[s];
    SegmentValue& v = in.segments[s];
    if (sg.kind != SegmentKind::Sparse && sg.kind != SegmentKind::Dense && sg.kind != SegmentKind::Pooled) continue;
    const int idx = sc.segment_slot[s];
    const SlotInfo& info = sc.slots[static_cast<size_t>(idx)];
    const Slot& slot = r.slots_[static_cast<size_t>(idx)];
    if (info.role == Role::Query) {  // a history feature: the candidates' own ids
      v.per_candidate = true;
      v.ids = in.query[static_cast<size_t>(info.history)];
      continue;
    }
    if (slot.state == Slot::Unset)
      fail(kReq, "feature '", sg.feature, "' is missing: set it with ",
           sg.kind == SegmentKind::Dense    ? "set_user_dense or set_candidates_dense"
           : sg.kind == SegmentKind::Pooled ? "set_sequence (0 values is legal)"
                                            : "set_user or set_candidates");
    v.per_candidate = slot.state == Slot::Candidates;
    if (sg.kind == SegmentKind::Dense) {
      v.values = slot.values.data();
    } else {
      v.ids = slot.ids.data();
      v.len = static_cast<int64_t>(slot.ids.size());
    }
  }
}

void Session::score(const Request& r, float* out, size_t capacity) const {
  if (r.schema_ != schema_) fail(kReq, "this request was made by another session");
  const int64_t K = r.candidates();
  if (K > 0 && capacity < static_cast<size_t>(K))
    raise<CapacityError>("Session::score", "the output buffer holds ", capacity, " floats but the request has ", K,
                         " candidates");
  if (K > 0 && !out) fail("Session::score", "the output buffer is null");
  const int threads = threads_ > 0 ? threads_ : num_threads();
  Lease lease(*this);
  const std::vector<Arena*>& arenas = lease.scratch->view(std::max(1, threads));
  Resolved& res = lease.scratch->res;
  struct Release {  // the cache entry's lock goes before the scratch returns to the pool
    Resolved& r;
    ~Release() { r.release(); }
  } release{res};
  resolve(r, res, *arenas[0]);
  serve::score(*plan_, res.in, out, arenas);
}

std::vector<float> Session::score(const Request& r) const {
  std::vector<float> out(static_cast<size_t>(std::max<int64_t>(r.candidates(), 0)));
  score(r, out.data(), out.size());
  return out;
}

void Session::append_event(const std::string& user_key, const std::map<std::string, std::string>& event) const {
  std::vector<const char*> f, v;
  for (const auto& [k, val] : event) {
    f.push_back(k.c_str());
    v.push_back(val.c_str());
  }
  append_event(user_key, f.data(), v.data(), f.size());
}

void Session::append_event(const std::string& user_key, const char* const* features, const char* const* values,
                           size_t n) const {
  const char* op = "append_event";
  if (!cache_) raise<StateError>(op, "this session has no user-state cache (open it with user_cache_capacity > 0)");
  if (user_key.empty()) fail(op, "the user key is empty");
  if (n && (!features || !values)) fail(op, "features or values is null");
  const ServingPlan& p = *plan_;
  const Schema& sc = *schema_;
  const size_t nh = p.history.size();
  // One id per history sequence, by the feature's name or its sequence's.
  std::vector<int64_t> ev(nh, -1);
  for (size_t j = 0; j < n; ++j) {
    if (!features[j] || !values[j]) fail(op, "feature or value ", j, " is null");
    const std::string name = features[j];
    size_t i = 0;
    while (i < nh && name != p.history[i] && name != p.sequences[i]) ++i;
    if (i == nh) {
      if (sc.index.count(name) || sc.ids.is_excluded(name)) continue;  // another known feature: not part of an event
      fail(op, "unknown feature '", name, "' (an event holds one value per history feature: ", p.history[0],
           nh > 1 ? ", ..." : "", ")");
    }
    ev[i] = sc.ids.map(p.sequences[i], values[j], op);
  }
  for (size_t i = 0; i < nh; ++i) {
    const Schema::Derived& d = sc.sequence_derived[i];
    if (ev[i] < 0 && d.from >= 0 && ev[static_cast<size_t>(d.from)] >= 0)
      ev[i] = sc.ids.derive(*d.how, d.table, ev[static_cast<size_t>(d.from)]);
    if (ev[i] < 0) fail(op, "the event has no value for '", p.history[i], "'");
  }
  std::shared_ptr<UserStateCache::Entry> e = cache_->get_or_create(user_key);
  Lease lease(*this);
  Arena& arena = *lease.scratch->view(1)[0];  // (the entry's lock below is released before the lease)
  std::lock_guard<std::mutex> lock(e->mu);
  UserState& st = e->state;
  if (st.ids.size() != nh) {
    st.ids.assign(nh, {});
    for (auto& v : st.ids) v.reserve(static_cast<size_t>(p.maxlen + 1));
    st.L = 0;
  }
  for (size_t i = 0; i < nh; ++i) st.ids[i].push_back(ev[i]);
  ++st.L;
  cache_->count_appended();
  const int64_t Ep = p.Ep;
  const bool slide = st.L > p.maxlen;
  if (!st.stale && !(slide && options_.exact_window)) extend(p, st, st.L - 1, arena);  // one recurrent step (DIEN)
  if (slide) {  // the window moves by one event
    for (auto& v : st.ids) v.erase(v.begin());
    --st.L;
    if (options_.exact_window) {
      st.stale = p.kind == "dien";  // recomputed by the next score
    } else if (p.kind == "dien" && !st.stale) {  // keep the stream's states, drop the oldest
      std::memmove(st.interests.data(), st.interests.data() + Ep, sizeof(float) * static_cast<size_t>(st.L * Ep));
      if (!st.evolved.empty())
        std::memmove(st.evolved.data(), st.evolved.data() + Ep, sizeof(float) * static_cast<size_t>(st.L * Ep));
    }
  }
}

bool Session::forget_user(const std::string& user_key) const { return cache_ ? cache_->erase(user_key) : false; }

CacheStats Session::cache_stats() const { return cache_ ? cache_->stats() : CacheStats{}; }

int64_t Session::cached_history_length(const std::string& user_key) const {
  if (!cache_) return -1;
  auto e = cache_->find(user_key);
  if (!e) return -1;
  std::lock_guard<std::mutex> lock(e->mu);
  return e->state.L;
}

data::Batch Session::naive_batch(const Request& r) const {
  if (r.schema_ != schema_) fail(kReq, "this request was made by another session");
  const ServingPlan& p = *plan_;
  const Schema& sc = *schema_;
  Arena arena;
  Resolved res;
  resolve(r, res, arena);
  const ScoreInputs& in = res.in;
  const int64_t K = in.K, L = in.history.L, T = std::max<int64_t>(L, 1);
  data::Batch b;
  auto repeat_seq = [&](const int64_t* ids, int64_t len, int64_t width) {
    std::vector<int64_t> v(static_cast<size_t>(K * width), 0);
    for (int64_t c = 0; c < K; ++c) std::copy(ids, ids + len, v.begin() + c * width);
    return from_vector<int64_t>(v, Shape{K, width});
  };
  for (size_t i = 0; i < p.history.size(); ++i) {
    b.x[p.history[i]] = from_vector<int64_t>(std::vector<int64_t>(in.query[i], in.query[i] + K), Shape{K});
    b.x[p.sequences[i]] = repeat_seq(in.history.seq[i], L, T);
  }
  b.x[p.length_column] = from_vector<int64_t>(std::vector<int64_t>(static_cast<size_t>(K), L), Shape{K});
  for (size_t s = 0; s < p.segments.size(); ++s) {
    const Segment& sg = p.segments[s];
    const SegmentValue& v = in.segments[s];
    if (sg.kind == SegmentKind::Sparse && !b.x.count(sg.feature)) {
      std::vector<int64_t> ids(static_cast<size_t>(K));
      for (int64_t c = 0; c < K; ++c) ids[static_cast<size_t>(c)] = v.ids[v.per_candidate ? c : 0];
      b.x[sg.feature] = from_vector<int64_t>(ids, Shape{K});
    } else if (sg.kind == SegmentKind::Dense) {
      std::vector<float> vals(static_cast<size_t>(K * sg.width));
      for (int64_t c = 0; c < K; ++c)
        std::copy(v.values + (v.per_candidate ? c * sg.width : 0), v.values + (v.per_candidate ? c * sg.width : 0) + sg.width,
                  vals.begin() + c * sg.width);
      b.x[sg.feature] = from_vector<float>(vals, Shape{K, sg.width});
    } else if (sg.kind == SegmentKind::Pooled) {
      const FeatureSpec& f = p.features.at(sg.feature);
      b.x[sg.feature] = repeat_seq(v.ids, v.len, std::max<int64_t>(v.len, 1));
      b.x[f.length_name] = from_vector<int64_t>(std::vector<int64_t>(static_cast<size_t>(K), v.len), Shape{K});
    }
  }
  (void)sc;
  return b;
}

}  // namespace dien::serve
