// The caching allocator behind Storage: size classes, reuse of freed blocks, the cap on
// cached bytes, empty_cache(), explicit zero-filling, and the memory statistics.
#include <doctest/doctest.h>

#include <atomic>
#include <vector>

#include "tapegrad.hpp"

using namespace tg;

namespace {

// Sets the cache limit for one test and restores the previous one (and an empty cache).
struct CacheLimitGuard {
  std::int64_t saved = cache_limit();
  explicit CacheLimitGuard(std::int64_t bytes) {
    empty_cache();
    set_cache_limit(bytes);
  }
  ~CacheLimitGuard() {
    empty_cache();
    set_cache_limit(saved);
  }
};

constexpr std::int64_t kMiB = 1 << 20;

}  // namespace

TEST_CASE("storage size classes: multiples of 64 bytes, then four classes per power of two") {
  CHECK(storage_size_class(0) == 64);
  CHECK(storage_size_class(1) == 64);
  CHECK(storage_size_class(64) == 64);
  CHECK(storage_size_class(65) == 128);
  CHECK(storage_size_class(4096) == 4096);
  CHECK(storage_size_class(4097) == 5120);  // 4096 + 4096 / 4
  CHECK(storage_size_class(6145) == 7168);
  CHECK(storage_size_class(1 << 20) == 1 << 20);
  CHECK(storage_size_class((1 << 20) + 1) == (1 << 20) + (1 << 18));
  // Every request fits its class, wastes at most a quarter (or 63 bytes), and classes grow
  // with the request.
  std::size_t previous = 0;
  for (std::size_t n = 1; n < (std::size_t{1} << 24); n = n * 9 / 8 + 1) {
    const std::size_t c = storage_size_class(n);
    CHECK(c >= n);
    CHECK(c % 64 == 0);
    CHECK(c <= n + std::max<std::size_t>(63, n / 4));
    CHECK(c >= previous);
    previous = c;
  }
}

TEST_CASE("a freed block is handed to the next allocation of its size class") {
  CacheLimitGuard guard(64 * kMiB);
  Tensor a = empty({1000});  // 4000 bytes: class 4032
  void* p = a.raw_data();
  a = Tensor();
  CHECK(memory_stats().cached_bytes == 4032);
  CHECK(memory_stats().cached_blocks == 1);
  const Tensor b = empty({1001});  // 4004 bytes: the same class
  CHECK(b.raw_data() == p);
  CHECK(memory_stats().cached_bytes == 0);
  // A different class does not take the cached block.
  Tensor c = empty({100});
  void* q = c.raw_data();
  c = Tensor();
  const Tensor d = empty({2000});
  CHECK(d.raw_data() != q);
  CHECK(memory_stats().cached_blocks == 1);
}

TEST_CASE("zeros() is zero after reusing a dirty block, and empty() leaves the memory alone") {
  CacheLimitGuard guard(64 * kMiB);
  Tensor dirty = full({5, 300}, 7.0, {.dtype = f64});
  void* p = dirty.raw_data();
  dirty = Tensor();
  const Tensor z = zeros({5, 300}, {.dtype = f64});
  REQUIRE(z.raw_data() == p);
  for (const double v : z.to_vector()) REQUIRE(v == 0.0);
  // The same for an int64 tensor sharing the class (1500 * 8 bytes).
  Tensor dirty_int = full({1500}, -3.0, {.dtype = i64});
  void* pi = dirty_int.raw_data();
  dirty_int = Tensor();
  const Tensor zi = zeros({1500}, {.dtype = i64});
  REQUIRE(zi.raw_data() == pi);
  for (const std::int64_t v : zi.to_vector_as<std::int64_t>()) REQUIRE(v == 0);
}

TEST_CASE("the cache keeps at most its limit, and lowering the limit releases blocks") {
  CacheLimitGuard guard(10000);
  std::vector<Tensor> ts;
  for (int i = 0; i < 3; ++i) ts.push_back(empty({1024}));  // 4096 bytes each
  ts.clear();
  CHECK(memory_stats().cached_blocks == 2);  // the third would exceed 10000 bytes
  CHECK(memory_stats().cached_bytes == 8192);
  set_cache_limit(5000);
  CHECK(memory_stats().cached_bytes == 4096);
  CHECK(memory_stats().cached_blocks == 1);
  set_cache_limit(0);  // caching off
  CHECK(memory_stats().cached_bytes == 0);
  { const Tensor t = empty({1024}); }
  CHECK(memory_stats().cached_blocks == 0);
  CHECK_THROWS_AS(set_cache_limit(-1), ValueError);
}

TEST_CASE("a freed block that would pass the limit evicts the least recently freed blocks") {
  CacheLimitGuard guard(10000);
  Tensor a = empty({1024});  // 4096 bytes
  Tensor b = empty({512});   // 2048 bytes
  Tensor c = empty({1200});  // 4800 bytes: class 5120
  a = Tensor();
  b = Tensor();
  CHECK(memory_stats().cached_bytes == 4096 + 2048);
  c = Tensor();  // 11264 bytes would pass 10000: a's block, the oldest, goes
  CHECK(memory_stats().cached_blocks == 2);
  CHECK(memory_stats().cached_bytes == 2048 + 5120);
  {
    const Tensor b2 = empty({512});  // b's block is still cached
    CHECK(memory_stats().cached_bytes == 5120);
    const Tensor a2 = empty({1024});  // a's is not: a new block, the cache unchanged
    CHECK(memory_stats().cached_bytes == 5120);
    const Tensor c2 = empty({1280});  // c's class
    CHECK(memory_stats().cached_bytes == 0);
  }
  // Freed in the order c2, a2, b2 (members destroyed in reverse): 5120 + 4096 fit, then b2's
  // 2048 evicts c2's block.
  CHECK(memory_stats().cached_bytes == 4096 + 2048);
  // A block larger than the limit goes back to the system and evicts nothing.
  { const Tensor big = empty({4096}); }
  CHECK(memory_stats().cached_bytes == 4096 + 2048);
  CHECK(memory_stats().cached_blocks == 2);
}

TEST_CASE("empty_cache() returns every cached block") {
  CacheLimitGuard guard(64 * kMiB);
  { const std::vector<Tensor> ts{empty({10}), empty({5000}), empty({5000}), empty({3, 1 << 16})}; }
  CHECK(memory_stats().cached_blocks == 4);
  CHECK(
      memory_stats().cached_bytes ==
      static_cast<std::int64_t>(storage_size_class(40) + 2 * storage_size_class(20000) + storage_size_class(3 << 18)));
  empty_cache();
  CHECK(memory_stats().cached_bytes == 0);
  CHECK(memory_stats().cached_blocks == 0);
}

TEST_CASE("live statistics count requested bytes, whether blocks come from the cache or not") {
  CacheLimitGuard guard(64 * kMiB);
  const MemoryStats before = memory_stats();
  {
    const Tensor a = empty({1000});
    CHECK(memory_stats().live_bytes == before.live_bytes + 4000);
    CHECK(memory_stats().live_storages == before.live_storages + 1);
  }
  {
    const Tensor b = empty({999});  // reuses a's block
    CHECK(memory_stats().live_bytes == before.live_bytes + 3996);
    CHECK(memory_stats().cached_blocks == 0);
  }
  CHECK(memory_stats().live_bytes == before.live_bytes);
  CHECK(memory_stats().live_storages == before.live_storages);
}

TEST_CASE("allocations from many tasks at once keep the statistics consistent") {
  CacheLimitGuard guard(64 * kMiB);
  const MemoryStats before = memory_stats();
  std::atomic<bool> ok{true};  // doctest assertions are not thread-safe
  set_num_threads(2);
  parallel_for(4000, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      const Tensor t = full({1 + i % 97}, static_cast<double>(i));
      if (t.data<float>()[i % 97] != static_cast<float>(i)) ok = false;
    }
  });
  set_num_threads(0);
  CHECK(ok);
  CHECK(memory_stats().live_bytes == before.live_bytes);
  CHECK(memory_stats().live_storages == before.live_storages);
  CHECK(memory_stats().cached_bytes <= 64 * kMiB);
}
