// The (height, width) pairs of the convolution and pooling options.
#pragma once

#include <cstdint>

namespace tg {

// A (height, width) pair; a single integer means both.
struct Pair2 {
  std::int64_t h = 0;
  std::int64_t w = 0;
  constexpr Pair2() = default;
  constexpr Pair2(std::int64_t both) : h(both), w(both) {}  // NOLINT(google-explicit-constructor)
  constexpr Pair2(std::int64_t height, std::int64_t width) : h(height), w(width) {}
  friend constexpr bool operator==(const Pair2&, const Pair2&) = default;
};

}  // namespace tg
