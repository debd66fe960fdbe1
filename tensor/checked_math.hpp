// Integer arithmetic without undefined behaviour, in one place:
//  - checked: sizes, strides, offsets and op arguments. An overflow is a user error, so the
//    result is either exact or a typed exception naming the op.
//  - wrapping: int64 tensor elements. Like PyTorch, add/sub/mul/neg/sum wrap around in
//    two's complement; computed on unsigned integers, where wrapping is defined.
//  - convert_element: the one conversion of an element value to another element type. A
//    float becoming an integer must be finite and in range (then it truncates toward zero);
//    otherwise ValueError naming the op and the value, never the undefined conversion.
// docs/overflow.md gives the rules and the reasons.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>

#include "tensor/dtype.hpp"
#include "tensor/error.hpp"

namespace tg {

// ---- checked: exact or false ----

// r = a + b, a * b, a - b; true when the exact result does not fit int64 (r is then unusable).
[[nodiscard]] inline bool add_overflows(std::int64_t a, std::int64_t b, std::int64_t& r) {
  return __builtin_add_overflow(a, b, &r);
}
[[nodiscard]] inline bool mul_overflows(std::int64_t a, std::int64_t b, std::int64_t& r) {
  return __builtin_mul_overflow(a, b, &r);
}
[[nodiscard]] inline bool sub_overflows(std::int64_t a, std::int64_t b, std::int64_t& r) {
  return __builtin_sub_overflow(a, b, &r);
}

// a * b for a, b >= 0, or INT64_MAX when that overflows: for work estimates that only pick
// a parallel grain, where "huge" is as good as exact.
inline std::int64_t saturating_mul(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  return mul_overflows(a, b, r) ? std::numeric_limits<std::int64_t>::max() : r;
}

// ---- checked: exact or exception E naming `op` ----

template <class E = ValueError>
std::int64_t checked_add(std::int64_t a, std::int64_t b, std::string_view op) {
  std::int64_t r = 0;
  TG_CHECK(!add_overflows(a, b, r), E, "{}: {} + {} overflows int64", op, a, b);
  return r;
}
template <class E = ValueError>
std::int64_t checked_mul(std::int64_t a, std::int64_t b, std::string_view op) {
  std::int64_t r = 0;
  TG_CHECK(!mul_overflows(a, b, r), E, "{}: {} * {} overflows int64", op, a, b);
  return r;
}
template <class E = ValueError>
std::int64_t checked_sub(std::int64_t a, std::int64_t b, std::string_view op) {
  std::int64_t r = 0;
  TG_CHECK(!sub_overflows(a, b, r), E, "{}: {} - {} overflows int64", op, a, b);
  return r;
}

// ---- wrapping: two's complement for integers; floats pass through ----

template <class T>
T wrapping_add(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return static_cast<T>(static_cast<std::make_unsigned_t<T>>(a) + static_cast<std::make_unsigned_t<T>>(b));
  } else {
    return a + b;
  }
}
template <class T>
T wrapping_sub(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return static_cast<T>(static_cast<std::make_unsigned_t<T>>(a) - static_cast<std::make_unsigned_t<T>>(b));
  } else {
    return a - b;
  }
}
template <class T>
T wrapping_mul(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return static_cast<T>(static_cast<std::make_unsigned_t<T>>(a) * static_cast<std::make_unsigned_t<T>>(b));
  } else {
    return a * b;
  }
}
template <class T>
T wrapping_neg(T v) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return static_cast<T>(std::make_unsigned_t<T>{0} - static_cast<std::make_unsigned_t<T>>(v));
  } else {
    return -v;
  }
}

// The type in which sums of T accumulate: unsigned for integers (so a sum wraps around
// instead of overflowing), T itself for floats. Convert back with static_cast<T>.
template <class T>
using wrapping_accumulator_t =
    typename std::conditional_t<std::is_integral_v<T>, std::make_unsigned<T>, std::type_identity<T>>::type;

// ---- conversion of element values ----

namespace detail {
[[noreturn]] void fail_unrepresentable(std::string_view op, double value, std::string_view type);
}  // namespace detail

// True when the float v converts to the integer type To without undefined behaviour: finite
// and, after truncation toward zero, inside To's range. NaN fails every comparison.
template <class To, class From>
constexpr bool fits_integer(From v) {
  static_assert(std::is_floating_point_v<From> && std::is_integral_v<To>);
  constexpr double lowest = static_cast<double>(std::numeric_limits<To>::min());  // -2^(bits-1): exact
  const double d = static_cast<double>(v);
  // d > lowest - 1 admits the fractions that truncate to lowest; for int64 that bound rounds
  // to lowest itself, so lowest is admitted separately.
  return (d >= lowest || d > lowest - 1.0) && d < -lowest;
}

// v as a To, for To and From among float, double, int64, bool (and int, for item<int>).
// Floats to integers: truncation toward zero, or ValueError naming `op` and v when v is NaN,
// infinite or out of range. To bool: v != 0. Everything else: the ordinary conversion
// (int64 -> float rounds to nearest; double -> float overflows to +-inf under IEEE 754).
template <class To, class From>
To convert_element(From v, std::string_view op) {
  if constexpr (std::is_integral_v<To> && !std::is_same_v<To, bool> && std::is_floating_point_v<From>) {
    if (!fits_integer<To>(v)) [[unlikely]] {
      detail::fail_unrepresentable(op, static_cast<double>(v), std::is_same_v<To, std::int64_t> ? "int64" : "int");
    }
  }
  return static_cast<To>(v);
}

}  // namespace tg
