// SPDX-License-Identifier: MIT
#include "serve/user_state.h"

#include <algorithm>
#include <functional>

#include "core/error.h"

namespace dien::serve {

namespace {
constexpr size_t kMaxShards = 16;
}

size_t UserState::bytes() const {
  size_t n = sizeof(UserState) + (interests.capacity() + evolved.capacity()) * sizeof(float);
  for (const auto& v : ids) n += v.capacity() * sizeof(int64_t);
  return n;
}

UserStateCache::UserStateCache(size_t capacity)
    : capacity_(capacity),
      per_shard_(capacity / std::min(capacity, kMaxShards)),  // shards x per_shard <= capacity
      shards_(std::min(capacity, kMaxShards)) {
  if (capacity == 0) fail("user-state cache", "capacity must be > 0");
}

UserStateCache::Shard& UserStateCache::shard_of(const std::string& key) {
  return shards_[std::hash<std::string>{}(key) % shards_.size()];
}

std::shared_ptr<UserStateCache::Entry> UserStateCache::find(const std::string& key) {
  Shard& s = shard_of(key);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.map.find(key);
  if (it == s.map.end()) return nullptr;
  s.lru.splice(s.lru.begin(), s.lru, it->second.second);
  return it->second.first;
}

std::shared_ptr<UserStateCache::Entry> UserStateCache::get_or_create(const std::string& key) {
  Shard& s = shard_of(key);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.map.find(key);
  if (it != s.map.end()) {
    s.lru.splice(s.lru.begin(), s.lru, it->second.second);
    return it->second.first;
  }
  while (s.map.size() >= per_shard_ && !s.lru.empty()) {  // evict the least recently used
    s.map.erase(s.lru.back());
    s.lru.pop_back();
    add(evictions_);
  }
  s.lru.push_front(key);
  auto e = std::make_shared<Entry>();
  s.map.emplace(key, std::make_pair(e, s.lru.begin()));
  return e;
}

bool UserStateCache::erase(const std::string& key) {
  Shard& s = shard_of(key);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.map.find(key);
  if (it == s.map.end()) return false;
  s.lru.erase(it->second.second);
  s.map.erase(it);
  return true;
}

CacheStats UserStateCache::stats() const {
  CacheStats st;
  st.capacity = capacity_;
  for (const Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    st.users += s.map.size();
    for (const auto& [k, v] : s.map) {
      std::unique_lock<std::mutex> el(v.first->mu, std::try_to_lock);  // skip entries in use
      if (el.owns_lock()) st.bytes += v.first->state.bytes() + k.size();
    }
  }
  st.hits = hits_;
  st.misses = misses_;
  st.extended = extended_;
  st.recomputed = recomputed_;
  st.evictions = evictions_;
  st.appended_events = appended_;
  return st;
}

}  // namespace dien::serve
