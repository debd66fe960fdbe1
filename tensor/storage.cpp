#include "tensor/storage.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

namespace tg {
namespace {
std::atomic<std::int64_t> g_live_bytes{0};
std::atomic<std::int64_t> g_live_storages{0};
constexpr std::size_t kAlignment = 64;  // one cache line, and a full AVX-512 register
}  // namespace

Storage::Storage(std::size_t nbytes) : nbytes_(nbytes) {
  const std::size_t padded = (nbytes + kAlignment - 1) / kAlignment * kAlignment;
  data_ = std::aligned_alloc(kAlignment, padded == 0 ? kAlignment : padded);
  if (data_ == nullptr) throw std::bad_alloc();
  std::memset(data_, 0, padded == 0 ? kAlignment : padded);
  g_live_bytes += static_cast<std::int64_t>(nbytes);
  ++g_live_storages;
}

Storage::~Storage() {
  std::free(data_);
  g_live_bytes -= static_cast<std::int64_t>(nbytes_);
  --g_live_storages;
}

MemoryStats memory_stats() { return {g_live_bytes.load(), g_live_storages.load()}; }

}  // namespace tg
