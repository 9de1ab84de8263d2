// SPDX-License-Identifier: MIT
// Session: the embeddable scoring path. Opens a trained model (a checkpoint directory or a
// `dien train --out` directory), owns its vocabularies, and scores one user against K candidate
// items, with everything that depends on the user alone computed once per request (history
// embeddings, the interest extractor, the evolving GRU's input projections, the key side of the
// first attention layer, the user's share of the first DNN layer). Equal to the model's own
// K-row batch (Predictor) to float32 rounding, for DIEN with every gru_type, DIN and the base
// model; no autograd, no tensors on the hot path, no allocation once warm.
//
//   auto s = dien::serve::Session::open("dien-model");          // best/ of a training run
//   dien::serve::Request r = s->new_request();
//   r.set_sequence("hist_item_id", {"12", "7", "40"});          // raw values, oldest first
//   r.set_candidates("item_id", {"3", "99"});
//   std::vector<float> p = s->score(r);                         // from any thread
//
// Threads: score() is thread-safe; each call runs on `threads` threads (default 1, so N request
// threads make N single-threaded calls, never N OpenMP teams); with more, the candidates are
// split into blocks. The instruction set of the kernels is picked at open (AVX-512, AVX2+FMA or
// generic; SessionOptions::isa or the DIEN_ISA environment variable override it).
//
// User-state cache (user_cache_capacity > 0): a request with set_user_key() keeps that user's
// history and extractor states (serve/user_state.h); append_event() adds one behaviour event by
// one recurrent step; a later request with the key and no history scores from the cache.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"
#include "serve/request.h"
#include "serve/user_state.h"

namespace dien {
class CtrModel;
}

namespace dien::serve {

struct ServingPlan;
struct Schema;
class Arena;

struct SessionOptions {
  int threads = 1;                 // per scoring call; 0: the library default (core/threads.h)
  std::string oov;                 // "" (the training run's policy, else bucket) | "error" | "bucket"
  size_t user_cache_capacity = 0;  // users kept by the user-state cache; 0: no cache
  bool exact_window = true;        // full window: recompute (exact) or keep advancing (approximate)
  std::string isa = "auto";        // auto | avx512 | avx2 | generic
  bool allow_nonfinite_weights = false;  // open(): load NaN/Inf weights instead of refusing them
};

struct FeatureInfo {
  std::string name;
  std::string role;  // "candidate item", "history", "sparse", "dense", "sequence"
  int64_t dim = 0;    // embedding dim (dense: values per row)
  int64_t maxlen = 0; // history, sequence
};

class Session {
 public:
  // `path`: a checkpoint directory (config.json, model.safetensors) or a training run's output
  // directory (its best/, else last/). Throws dien::Error naming the file and the problem when
  // it is missing, corrupt or not a model this path can serve.
  static std::shared_ptr<Session> open(const std::string& path, const SessionOptions& options = {});
  // From a model in memory (CPU, f32) and its checkpoint "data" slot as JSON text ("" or "{}":
  // no vocabularies, values are the model's integer ids).
  static std::shared_ptr<Session> from_model(std::shared_ptr<const CtrModel> model, const std::string& data_slot_json,
                                             const SessionOptions& options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Request new_request() const;

  // Scores r's K candidates into out[0 .. K) (probabilities for a binary model). Throws
  // dien::Error naming what is wrong with the request (no candidates, a missing feature,
  // histories of different lengths, an unknown user key) or that capacity < K.
  void score(const Request& r, float* out, size_t capacity) const;
  std::vector<float> score(const Request& r) const;

  // User-state cache: adds one behaviour event to `user_key`'s history (a new key starts an empty
  // one). `event` holds one raw value per history feature, by its name or its sequence's
  // ("item_id" or "hist_item_id"); a category the checkpoint can derive may be left out. DIEN:
  // one extractor step. Throws when the session has no cache.
  void append_event(const std::string& user_key, const std::map<std::string, std::string>& event) const;
  void append_event(const std::string& user_key, const char* const* features, const char* const* values,
                    size_t n) const;
  bool forget_user(const std::string& user_key) const;
  CacheStats cache_stats() const;
  // The history length cached for `user_key` (-1: not cached).
  int64_t cached_history_length(const std::string& user_key) const;

  // The same request as the model's own K-row batch (every row the user's features and history,
  // one candidate each): what Predictor/CtrModel::predict take (tests, benchmarks). With a user
  // key and no history, the cached history is used.
  data::Batch naive_batch(const Request& r) const;

  const CtrModel& model() const;
  std::shared_ptr<const CtrModel> model_ptr() const;
  std::vector<FeatureInfo> features() const;  // what a request may set
  const char* isa() const;                     // the kernels' instruction set
  int threads() const { return threads_; }
  const SessionOptions& options() const { return options_; }
  int64_t maxlen() const;

 private:
  Session() = default;
  struct Resolved;
  struct Scratch;
  struct Lease;
  void resolve(const Request& r, Resolved& out, Arena& arena) const;
  std::unique_ptr<Scratch> checkout() const;
  void checkin(std::unique_ptr<Scratch> s) const;

  SessionOptions options_;
  int threads_ = 1;
  std::shared_ptr<const ServingPlan> plan_;
  std::shared_ptr<const Schema> schema_;
  std::unique_ptr<UserStateCache> cache_;
  struct Pool;
  std::unique_ptr<Pool> pool_;
};

}  // namespace dien::serve
