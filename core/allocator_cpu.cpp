// SPDX-License-Identifier: MIT
#include "core/allocator_cpu.h"

#include <sys/mman.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "core/error.h"
#include "core/workspace.h"

// Under AddressSanitizer (DIEN_SANITIZE) a cached free block is poisoned, so a use after free
// that lands in the cache is reported as it would be without it.
#if defined(__SANITIZE_ADDRESS__)
#define DIEN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DIEN_ASAN 1
#endif
#endif
#ifdef DIEN_ASAN
#include <sanitizer/asan_interface.h>
#define DIEN_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define DIEN_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define DIEN_POISON(p, n) ((void)(p), (void)(n))
#define DIEN_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace dien::cpu {

void* aligned_alloc_bytes(size_t nbytes) {
  // std::aligned_alloc needs the size to be a multiple of the alignment; never ask for 0 bytes.
  size_t rounded = (nbytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0) rounded = kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (!p) fail("alloc", "out of host memory allocating ", nbytes, " bytes");
  return p;
}

void aligned_free(void* p) { std::free(p); }

namespace {

constexpr size_t kCacheMinBytes = size_t{64} << 10, kCacheGranule = size_t{64} << 10;
constexpr size_t kHugePage = size_t{2} << 20, kHugeMinBytes = size_t{4} << 20;

// A block of at least 4 MiB on 2 MiB boundaries, with transparent huge pages asked for (where the
// kernel's THP mode is "madvise"): the recurrent scans read a row's step t a whole row of T steps
// apart, a different 4 KiB page for every row, and their TLB misses dominated the scan kernels.
void* huge_alloc(size_t size) {
  void* p = std::aligned_alloc(kHugePage, (size + kHugePage - 1) / kHugePage * kHugePage);
  if (!p) fail("alloc", "out of host memory allocating ", size, " bytes");
#ifdef MADV_HUGEPAGE
  madvise(p, size, MADV_HUGEPAGE);  // advice only: failure changes nothing
#endif
  return p;
}

class BlockCache {
 public:
  static BlockCache& get() {
    static BlockCache* c = new BlockCache();  // never destroyed: storages may die after statics
    return *c;
  }
  static size_t rounded(size_t n) { return (n + kCacheGranule - 1) / kCacheGranule * kCacheGranule; }
  bool enabled() const { return cap_ > 0; }

  // A cached block of at least `size` bytes and at most a quarter more (best fit), else a fresh
  // one of `size`; sets `got` to the block's size. Batches whose longest history differs by a
  // few steps then share blocks.
  void* take(size_t size, size_t& got) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      auto it = free_.lower_bound(size);
      if (it != free_.end() && it->first <= size + size / 4 && !it->second.empty()) {
        void* p = it->second.back();
        got = it->first;
        it->second.pop_back();
        if (it->second.empty()) free_.erase(it);
        stats_.cached_bytes -= got;
        --stats_.cached_blocks;
        ++stats_.reused;
        DIEN_UNPOISON(p, got);
        return p;
      }
      ++stats_.fresh;
    }
    got = size;
    return size >= kHugeMinBytes ? huge_alloc(size) : aligned_alloc_bytes(size);
  }
  void give(void* p, size_t size) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (stats_.cached_bytes + size <= cap_) {
        free_[size].push_back(p);
        DIEN_POISON(p, size);
        stats_.cached_bytes += size;
        ++stats_.cached_blocks;
        return;
      }
    }
    aligned_free(p);
  }
  void trim() {
    std::map<size_t, std::vector<void*>> blocks;
    {
      std::lock_guard<std::mutex> lk(mu_);
      blocks.swap(free_);
      stats_.cached_bytes = stats_.cached_blocks = 0;
    }
    for (auto& [size, ps] : blocks)
      for (void* p : ps) {
        DIEN_UNPOISON(p, size);
        aligned_free(p);
      }
  }
  BlockCacheStats stats() {
    std::lock_guard<std::mutex> lk(mu_);
    return stats_;
  }

 private:
  BlockCache() {
    const char* e = std::getenv("DIEN_CPU_CACHE_MB");
    if (e && *e) {
      char* end = nullptr;
      const unsigned long long mb = std::strtoull(e, &end, 10);
      if (end && *end == '\0') cap_ = static_cast<size_t>(mb) << 20;
    }
  }
  size_t cap_ = size_t{1} << 30;
  std::mutex mu_;
  std::map<size_t, std::vector<void*>> free_;
  BlockCacheStats stats_;
};

}  // namespace

BlockCacheStats block_cache_stats() { return BlockCache::get().stats(); }
void trim_block_cache() { BlockCache::get().trim(); }

void* allocate_storage_block(size_t nbytes, std::function<void(void*)>& release) {
  if (const std::shared_ptr<Workspace>& ws = current_workspace()) {
    void* p = ws->take(nbytes);
    release = [ws, nbytes](void* q) { ws->give(q, nbytes); };
    return p;
  }
  BlockCache& cache = BlockCache::get();
  if (nbytes >= kCacheMinBytes && cache.enabled()) {
    size_t got = 0;
    void* p = cache.take(BlockCache::rounded(nbytes), got);
    release = [got](void* q) { BlockCache::get().give(q, got); };
    return p;
  }
  release = [](void* q) { aligned_free(q); };
  return aligned_alloc_bytes(nbytes);
}

}  // namespace dien::cpu
