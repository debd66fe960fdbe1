#include "ops/kernels/scratch.hpp"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "tensor/error.hpp"

namespace tg::kernels {

namespace {
std::size_t round_up_64(std::size_t n) { return (n + 63) / 64 * 64; }

std::vector<std::unique_ptr<Scratch>>& lease_stack() {
  thread_local std::vector<std::unique_ptr<Scratch>> stack;
  return stack;
}
std::size_t& lease_depth() {
  thread_local std::size_t depth = 0;
  return depth;
}
}  // namespace

void Scratch::Free::operator()(std::byte* p) const { std::free(p); }

void* Scratch::get(std::int64_t count, std::size_t element_size) {
  // Far below SIZE_MAX, so that neither the doubling nor the rounding up below can wrap.
  constexpr std::size_t kMaxBytes = std::size_t{1} << 48;
  TG_CHECK(count >= 0 && static_cast<std::size_t>(count) <= kMaxBytes / element_size, ValueError,
           "kernel scratch: asked for {} elements of {} bytes", count, element_size);
  const std::size_t bytes = static_cast<std::size_t>(count) * element_size;
  if (bytes > capacity_) {
    const std::size_t want = round_up_64(std::min(std::max(bytes, capacity_ * 2), kMaxBytes));
    auto* block = static_cast<std::byte*>(std::aligned_alloc(64, want));
    TG_CHECK(block != nullptr, Error, "kernel scratch: cannot allocate {} bytes", want);
    data_.reset(block);
    capacity_ = want;
  }
  return data_.get();
}

ScratchLease::ScratchLease() {
  auto& stack = lease_stack();
  if (stack.size() <= lease_depth()) stack.push_back(std::make_unique<Scratch>());
  scratch_ = stack[lease_depth()++].get();
}

ScratchLease::~ScratchLease() { --lease_depth(); }

}  // namespace tg::kernels
