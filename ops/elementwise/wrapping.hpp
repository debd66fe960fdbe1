// Integer arithmetic that wraps around (two's complement) like PyTorch's int64 ops,
// instead of the undefined behaviour of signed overflow. Floats pass through unchanged.
#pragma once

#include <cstdint>
#include <type_traits>

namespace tg::detail {

template <class T>
T wrapping_neg(T v) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(0ULL - static_cast<std::uint64_t>(v));
  } else {
    return -v;
  }
}

template <class T>
T wrapping_sub(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
  } else {
    return a - b;
  }
}

}  // namespace tg::detail
