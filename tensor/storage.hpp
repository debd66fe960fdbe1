// A reference-counted, 64-byte aligned block of memory shared by a tensor and its views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace tg {

class Storage {
 public:
  explicit Storage(std::size_t nbytes);  // zero-filled
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }

 private:
  void* data_ = nullptr;
  std::size_t nbytes_ = 0;
};

// Live tensor memory, for leak tests and diagnostics.
struct MemoryStats {
  std::int64_t live_bytes = 0;
  std::int64_t live_storages = 0;
};
MemoryStats memory_stats();

}  // namespace tg
