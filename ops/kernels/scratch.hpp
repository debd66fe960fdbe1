// Per-thread scratch memory for kernels (packing panels, im2col blocks, padded planes).
//
// Page faults on fresh memory cost more than the compute of a large layer, so scratch
// buffers only grow and live for the thread's lifetime. Leases form a per-thread stack,
// which keeps kernels re-entrant: oneTBB may run another task on this thread (that leases
// its own buffer) while the current one waits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace tg::kernels {

class Scratch {
 public:
  // A 64-byte aligned block of at least `count` elements of `element_size` bytes; contents
  // are unspecified. Throws ValueError for a negative count or a size past what memory can
  // hold: such a size comes from a kernel's arithmetic on an empty shape, and growing to it
  // would record a capacity the block does not have.
  void* get(std::int64_t count, std::size_t element_size);

 private:
  struct Free {
    void operator()(std::byte* p) const;
  };
  std::unique_ptr<std::byte, Free> data_;
  std::size_t capacity_ = 0;
};

class ScratchLease {
 public:
  ScratchLease();
  ~ScratchLease();
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;

  // Typed view of the leased buffer; earlier pointers from this lease are invalidated.
  template <class T>
  T* array(std::int64_t count) {
    return static_cast<T*>(scratch_->get(count, sizeof(T)));
  }

 private:
  Scratch* scratch_;
};

}  // namespace tg::kernels
