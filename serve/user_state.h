// SPDX-License-Identifier: MIT
// The user-state cache: per user key, the behaviour history (ids) and the interest extractor's
// states over it (and, for DIEN with gru_type GRU, the evolving GRU's, which depend on the user
// only), so that a new behaviour event costs one recurrent step instead of a rerun over the whole
// history (the "user interest center" of MIMN, Pi et al., KDD 2019).
//
// Bounded: at most `capacity` users (rounded down to a multiple of the shard count), least
// recently used evicted first, in up to 16 shards with a lock each; each entry has its own lock, held while a request reads or advances it. Memory per user:
// maxlen x (8 bytes per history feature + 4 x padded E per stored state) plus a little.
//
// Sliding window: histories keep their most recent maxlen events. Once a history is full, a new
// event moves the window's start, and every state changes (the extractor starts from zeros at
// the window's first event). Exact mode (the default) then recomputes the window's states, lazily:
// the entry is marked stale and the next score recomputes it once, whatever the number of events
// appended in between. Approximate mode instead keeps advancing the recurrence and drops the
// oldest state, i.e. the states of the whole stream, not of the window; docs/embedding.md gives
// its measured error.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace dien::serve {

struct UserState {
  int64_t L = 0;                            // events in the window
  std::vector<std::vector<int64_t>> ids;    // per history sequence: [L] (ids of the window)
  std::vector<float> interests;             // [L, Ep] extractor states (DIEN)
  std::vector<float> evolved;               // [L, Ep] evolving GRU states (DIEN, gru_type GRU)
  bool stale = false;                       // states must be recomputed from ids
  size_t bytes() const;
};

struct CacheStats {
  size_t users = 0, capacity = 0;
  uint64_t hits = 0, misses = 0, extended = 0, recomputed = 0, evictions = 0, appended_events = 0;
  size_t bytes = 0;  // states and ids held now
};

class UserStateCache {
 public:
  struct Entry {
    std::mutex mu;
    UserState state;
  };
  explicit UserStateCache(size_t capacity);

  // The entry of `key`, or null. Marks it most recently used.
  std::shared_ptr<Entry> find(const std::string& key);
  // The entry of `key`, made empty if absent (evicting the least recently used beyond capacity).
  std::shared_ptr<Entry> get_or_create(const std::string& key);
  bool erase(const std::string& key);
  CacheStats stats() const;
  size_t capacity() const { return capacity_; }

  // Counters the session bumps (relaxed; for stats only).
  void count_hit() { add(hits_); }
  void count_miss() { add(misses_); }
  void count_extended() { add(extended_); }
  void count_recomputed() { add(recomputed_); }
  void count_appended() { add(appended_); }

 private:
  struct Shard {
    mutable std::mutex mu;
    std::list<std::string> lru;  // front = most recent
    std::unordered_map<std::string, std::pair<std::shared_ptr<Entry>, std::list<std::string>::iterator>> map;
  };
  Shard& shard_of(const std::string& key);
  static void add(std::atomic<uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

  size_t capacity_, per_shard_;
  std::vector<Shard> shards_;
  std::atomic<uint64_t> hits_{0}, misses_{0}, extended_{0}, recomputed_{0}, evictions_{0}, appended_{0};
};

}  // namespace dien::serve
