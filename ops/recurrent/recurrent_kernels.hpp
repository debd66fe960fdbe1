// Shared by the fused LSTM and GRU cell ops: the scalar gate functions their kernels apply
// per element, the row-wise view the kernels read, and the checks of their operands.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "ops/kernels/math/vec_math.hpp"
#include "tensor/tensor.hpp"

namespace tg::recurrent_detail {

// Logistic function. float evaluates branch-free through kernels::exp so the loops over a
// row vectorise (e^-x overflows to a huge finite value or inf, giving 0 as it should);
// double keeps libm's accuracy, as the sigmoid op does, for the float64 gradient checks.
template <class T>
inline T sigmoid_of(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return 1.0f / (1.0f + kernels::exp(-x));
  } else {
    if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return e / (T(1) + e);
  }
}

// tanh(x) = 1 - 2 / (1 + e^2x): exact at both saturations (e^2x = inf gives 1, 0 gives -1);
// its absolute error near 0 (a float ulp of 1) is far below float's use here.
template <class T>
inline T tanh_of(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return 1.0f - 2.0f / (1.0f + kernels::exp(2.0f * x));
  } else {
    return std::tanh(x);
  }
}

// out[k] = activation(x[k] + y[k]) for k < n: a loop the compiler vectorises.
template <class T, class Activation>
inline void add_then(const T* __restrict x, const T* __restrict y, T* __restrict out, std::int64_t n,
                     Activation activation) {
  for (std::int64_t k = 0; k < n; ++k) out[k] = activation(x[k] + y[k]);
}
template <class T>
inline T sigmoid_fn(T x) {
  return sigmoid_of(x);
}
template <class T>
inline T tanh_fn(T x) {
  return tanh_of(x);
}

// A matrix the kernels walk row by row: element (b, j) at data[b * row_stride + j].
template <class T>
struct Rows {
  T* data;
  std::int64_t row_stride;
  T* row(std::int64_t b) const { return data + b * row_stride; }
};

// `t` itself when its rows are contiguous (any row stride, as a step of a sequence or a half
// of a cell output has), else a contiguous copy: the kernels never copy what they can read.
Tensor with_contiguous_rows(const Tensor& t);

template <class T>
Rows<const T> rows_of(const Tensor& t) {
  return {t.data<T>(), t.size(0) > 1 ? t.strides()[0] : t.size(1)};
}
template <class T>
Rows<T> mutable_rows_of(const Tensor& t) {
  return {t.data<T>(), t.size(0) > 1 ? t.strides()[0] : t.size(1)};
}

// Checks the operands of a fused cell op: gates_x and gates_h both [B, gates * H], state
// [B, H], one floating dtype. Returns H.
std::int64_t check_cell_operands(std::string_view op, const Tensor& gates_x, const Tensor& gates_h, const Tensor& state,
                                 std::int64_t gates);

// The work of one row, for parallel_for's grain: rows are independent, so any partition
// gives the same bits.
inline std::int64_t rows_grain(std::int64_t row_elements) {
  return std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(row_elements, 1));
}

}  // namespace tg::recurrent_detail
