#include "tensor/storage.hpp"

#include <atomic>
#include <bit>
#include <cstdlib>
#include <cstring>
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
// the likeliest to be in cache). One mutex: allocations are few compared to the work on them.
class BlockCache {
 public:
  void* take(std::size_t size) {
    {
      const std::lock_guard lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_bytes_ -= static_cast<std::int64_t>(size);
        --cached_blocks_;
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
    {
      const std::lock_guard lock(mutex_);
      if (cached_bytes_ + static_cast<std::int64_t>(size) <= limit_) {
        TG_CACHE_POISON(p, size);
        free_[size].push_back(p);
        cached_bytes_ += static_cast<std::int64_t>(size);
        ++cached_blocks_;
        return;
      }
    }
    std::free(p);
  }

  // Frees cached blocks, largest classes first, until at most `keep` bytes remain.
  void trim(std::int64_t keep) {
    std::vector<void*> release;
    {
      const std::lock_guard lock(mutex_);
      while (cached_bytes_ > keep) {
        auto largest = free_.end();
        for (auto it = free_.begin(); it != free_.end(); ++it) {
          if (!it->second.empty() && (largest == free_.end() || it->first > largest->first)) largest = it;
        }
        while (!largest->second.empty() && cached_bytes_ > keep) {
          TG_CACHE_UNPOISON(largest->second.back(), largest->first);
          release.push_back(largest->second.back());
          largest->second.pop_back();
          cached_bytes_ -= static_cast<std::int64_t>(largest->first);
          --cached_blocks_;
        }
      }
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
  std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> free_;
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
