// Element types and the one place that maps them to C++ types.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tensor/error.hpp"

namespace tg {

enum class DType : std::uint8_t { Float32, Float64, Int64, Bool };

inline constexpr DType f32 = DType::Float32;
inline constexpr DType f64 = DType::Float64;
inline constexpr DType i64 = DType::Int64;
inline constexpr DType boolean = DType::Bool;

constexpr std::size_t itemsize(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return 4;
    case DType::Float64:
      return 8;
    case DType::Int64:
      return 8;
    case DType::Bool:
      return 1;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return "float32";
    case DType::Float64:
      return "float64";
    case DType::Int64:
      return "int64";
    case DType::Bool:
      return "bool";
  }
  return "?";
}

constexpr bool is_floating(DType dtype) { return dtype == DType::Float32 || dtype == DType::Float64; }

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::Float32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::Float64;
}
template <>
constexpr DType dtype_of<std::int64_t>() {
  return DType::Int64;
}
template <>
constexpr DType dtype_of<bool>() {
  return DType::Bool;
}

// Result type of a binary op, as NumPy/PyTorch promote: bool < int64 < float32 < float64.
constexpr int promotion_rank(DType dtype) {
  switch (dtype) {
    case DType::Bool:
      return 0;
    case DType::Int64:
      return 1;
    case DType::Float32:
      return 2;
    case DType::Float64:
      return 3;
  }
  return 0;
}
constexpr DType promote_types(DType a, DType b) { return promotion_rank(a) >= promotion_rank(b) ? a : b; }

// Calls f(T{}) with the C++ type of `dtype`; f recovers it as decltype(tag).
template <class F>
decltype(auto) visit_dtype(DType dtype, F&& f) {
  switch (dtype) {
    case DType::Float32:
      return f(float{});
    case DType::Float64:
      return f(double{});
    case DType::Int64:
      return f(std::int64_t{});
    case DType::Bool:
      return f(bool{});
  }
  fail<DTypeError>("unknown dtype {}", static_cast<int>(dtype));
}

// Like visit_dtype for float32/float64 only; `op` names the caller in the error.
template <class F>
decltype(auto) visit_floating(DType dtype, std::string_view op, F&& f) {
  switch (dtype) {
    case DType::Float32:
      return f(float{});
    case DType::Float64:
      return f(double{});
    default:
      fail<DTypeError>("{}: expected a float32 or float64 tensor, got {}", op, dtype_name(dtype));
  }
}

// Like visit_dtype for the numeric types (no bool).
template <class F>
decltype(auto) visit_numeric(DType dtype, std::string_view op, F&& f) {
  switch (dtype) {
    case DType::Float32:
      return f(float{});
    case DType::Float64:
      return f(double{});
    case DType::Int64:
      return f(std::int64_t{});
    default:
      fail<DTypeError>("{}: expected a numeric tensor, got {}", op, dtype_name(dtype));
  }
}

}  // namespace tg

template <>
struct fmt::formatter<tg::DType> : fmt::formatter<std::string_view> {
  auto format(tg::DType dtype, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(tg::dtype_name(dtype), ctx);
  }
};
