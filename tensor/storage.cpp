#include "tensor/storage.hpp"

#include <atomic>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#include "tensor/error.hpp"

// Under AddressSanitizer, cached blocks are marked unaddressable, so a use after free of
// tensor memory is still reported although the block was not returned to the system.
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define TG_CACHE_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define TG_CACHE_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define TG_CACHE_POISON(p, n) ((void)(p), (void)(n))
#define TG_CACHE_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace tg {
namespace {

constexpr std::size_t kAlignment = 64;  // one cache line, and a full AVX-512 register
constexpr std::int64_t kDefaultCacheLimit = std::int64_t{1} << 30;

std::atomic<std::int64_t> g_live_bytes{0};
std::atomic<std::int64_t> g_live_storages{0};

std::int64_t limit_from_env() {
  const char* s = std::getenv("TAPEGRAD_CACHE_LIMIT");
  if (s == nullptr || *s == '\0') return kDefaultCacheLimit;
  char* end = nullptr;
  const long long v = std::strtoll(s, &end, 10);
  return end != nullptr && *end == '\0' && v >= 0 ? static_cast<std::int64_t>(v) : kDefaultCacheLimit;
}

// Memory handed out uninitialised is filled with 0xFF bytes (NaN as float, -1 as int) in
// debug and sanitizer builds, or when TAPEGRAD_POISON_EMPTY=1 (=0 turns it off), so code
// that reads elements it never wrote fails loudly in tests instead of depending on whatever
// a recycled block held.
bool poison_enabled() {
  static const bool enabled = [] {
    const char* s = std::getenv("TAPEGRAD_POISON_EMPTY");
#if !defined(NDEBUG) || defined(__SANITIZE_ADDRESS__)
    return s == nullptr || std::string(s) != "0";
#else
    return s != nullptr && std::string(s) == "1";
#endif
  }();
  return enabled;
}

// Freed blocks by size class, reused last-in first-out (the most recently freed block is
// the likeliest to be in cache). When the cap is reached, the least recently freed blocks
// make room: a program that moves on to other shapes (the next layer, the next phase of
// training) keeps the blocks it now uses instead of blocks it may never ask for again. One
// mutex: allocations are few compared to the work on them.
class BlockCache {
 public:
  void* take(std::size_t size) {
    {
      const std::lock_guard lock(mutex_);
      auto it = by_class_.find(size);
      if (it != by_class_.end() && !it->second.empty()) {
        const auto block = it->second.back();
        it->second.pop_back();
        void* p = block->data;
        forget(block);
        TG_CACHE_UNPOISON(p, size);
        return p;
      }
    }
    void* p = std::aligned_alloc(kAlignment, size);
    if (p == nullptr) {
      empty();  // memory held by the cache may be what the system is missing
      p = std::aligned_alloc(kAlignment, size);
      if (p == nullptr) throw std::bad_alloc();
    }
    return p;
  }

  void give(void* p, std::size_t size) {
    std::vector<void*> release;
    {
      const std::lock_guard lock(mutex_);
      if (static_cast<std::int64_t>(size) <= limit_) {
        evict_oldest(limit_ - static_cast<std::int64_t>(size), release);
        TG_CACHE_POISON(p, size);
        by_class_[size].push_back(by_age_.insert(by_age_.end(), Block{p, size}));
        cached_bytes_ += static_cast<std::int64_t>(size);
        ++cached_blocks_;
      } else {
        release.push_back(p);
      }
    }
    for (void* q : release) std::free(q);
  }

  // Frees cached blocks, least recently freed first, until at most `keep` bytes remain.
  void trim(std::int64_t keep) {
    std::vector<void*> release;
    {
      const std::lock_guard lock(mutex_);
      evict_oldest(keep, release);
    }
    for (void* p : release) std::free(p);
  }

  void empty() { trim(0); }

  void set_limit(std::int64_t bytes) {
    {
      const std::lock_guard lock(mutex_);
      limit_ = bytes;
    }
    trim(bytes);
  }

  std::int64_t limit() {
    const std::lock_guard lock(mutex_);
    return limit_;
  }

  std::pair<std::int64_t, std::int64_t> stats() {
    const std::lock_guard lock(mutex_);
    return {cached_bytes_, cached_blocks_};
  }

 private:
  struct Block {
    void* data;
    std::size_t size;
  };
  using BlockList = std::list<Block>;

  // Removes a block from the age order and the counts (its class list has let go of it).
  void forget(BlockList::iterator block) {
    cached_bytes_ -= static_cast<std::int64_t>(block->size);
    --cached_blocks_;
    by_age_.erase(block);
  }

  // Moves the oldest blocks to `release` until at most `keep` bytes remain. A class list
  // holds its blocks in the order they were freed, so the oldest block overall is the
  // front of its class list.
  void evict_oldest(std::int64_t keep, std::vector<void*>& release) {
    while (cached_bytes_ > keep) {
      const auto oldest = by_age_.begin();
      by_class_[oldest->size].pop_front();
      TG_CACHE_UNPOISON(oldest->data, oldest->size);
      release.push_back(oldest->data);
      forget(oldest);
    }
  }

  std::mutex mutex_;
  BlockList by_age_;  // every cached block, least recently freed first
  std::unordered_map<std::size_t, std::deque<BlockList::iterator>> by_class_;
  std::int64_t cached_bytes_ = 0;
  std::int64_t cached_blocks_ = 0;
  std::int64_t limit_ = limit_from_env();
};

// Never destroyed: storages held by static objects may be freed after main returns.
BlockCache& cache() {
  static BlockCache* c = new BlockCache;
  return *c;
}

}  // namespace

std::size_t storage_size_class(std::size_t nbytes) {
  if (nbytes <= 4096) return nbytes == 0 ? kAlignment : (nbytes + kAlignment - 1) / kAlignment * kAlignment;
  const std::size_t step = std::bit_floor(nbytes) / 4;  // quarter of the power of two below
  return (nbytes + step - 1) / step * step;
}

Storage::Storage(std::size_t nbytes, Fill fill) : nbytes_(nbytes) {
  const std::size_t size = storage_size_class(nbytes);
  data_ = cache().take(size);
  if (fill == Fill::zeros) {
    std::memset(data_, 0, nbytes);
  } else if (poison_enabled()) {
    std::memset(data_, 0xFF, nbytes);
  }
  g_live_bytes += static_cast<std::int64_t>(nbytes);
  ++g_live_storages;
}

Storage::~Storage() {
  cache().give(data_, storage_size_class(nbytes_));
  g_live_bytes -= static_cast<std::int64_t>(nbytes_);
  --g_live_storages;
}

MemoryStats memory_stats() {
  const auto [bytes, blocks] = cache().stats();
  return {g_live_bytes.load(), g_live_storages.load(), bytes, blocks};
}

void empty_cache() { cache().empty(); }

void set_cache_limit(std::int64_t bytes) {
  TG_CHECK(bytes >= 0, ValueError, "set_cache_limit: limit must be >= 0 bytes, got {}", bytes);
  cache().set_limit(bytes);
}

std::int64_t cache_limit() { return cache().limit(); }

}  // namespace tg
