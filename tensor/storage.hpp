// A reference-counted, 64-byte aligned block of memory shared by a tensor and its views,
// and the caching allocator behind it.
//
// Each storage counts the in-place writes to its data (its version). Autograd records the
// version of every tensor it saves for backward and refuses to use one whose data changed
// since: the storage is shared by every view and by detach(), so a write through any of
// them is seen.
//
// Freed blocks are kept in a cache bucketed by size class and handed to later allocations
// of the same class: a fresh large block costs a page fault per 4 KiB page on first touch,
// which on a VM can cost several times the arithmetic of the layer that fills it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tg {

class Storage {
 public:
  enum class Fill { none, zeros };

  // Contents are unspecified with Fill::none (a recycled block keeps its old bytes).
  explicit Storage(std::size_t nbytes, Fill fill = Fill::none);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }

  // Number of in-place writes so far. Atomic because threads may share a storage (relaxed:
  // it orders nothing, it only has to count); one increment per write call, not per element.
  std::uint64_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void* data_ = nullptr;
  std::size_t nbytes_ = 0;
  std::atomic<std::uint64_t> version_{0};
};

// Live tensor memory (for leak tests and diagnostics) and the allocator's cache.
struct MemoryStats {
  std::int64_t live_bytes = 0;  // bytes requested by live storages
  std::int64_t live_storages = 0;
  std::int64_t cached_bytes = 0;  // freed blocks kept for reuse (whole size classes)
  std::int64_t cached_blocks = 0;
};
MemoryStats memory_stats();

// Returns every cached block to the system.
void empty_cache();

// Caps the bytes the cache keeps. A freed block that would pass the cap makes room by
// returning the least recently freed blocks to the system (a block larger than the cap goes
// back itself). Lowering the cap releases cached blocks, oldest first, down to it. The
// default is 1 GiB, or the byte count in the environment variable TAPEGRAD_CACHE_LIMIT (0
// disables caching).
void set_cache_limit(std::int64_t bytes);
std::int64_t cache_limit();

// The size class an allocation of `nbytes` is rounded up to (blocks are reused within a
// class): multiples of 64 bytes up to 4 KiB, then four classes per power of two.
std::size_t storage_size_class(std::size_t nbytes);

}  // namespace tg
