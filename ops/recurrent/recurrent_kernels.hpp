// Shared by the fused LSTM and GRU cell ops: the row-wise view their kernels read and the
// checks of their operands. The forward's pointwise rows are ops/kernels/math/recurrent_rows.hpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "tensor/tensor.hpp"

namespace tg::recurrent_detail {

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
