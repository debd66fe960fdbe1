// Shared by max, amax and argmax: the first maximal element of each reduction row, and
// gradient masks laid out in the input's shape.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "ops/kernels/math/reduce.hpp"
#include "ops/reduction/reduce_attrs.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg::detail {

template <class T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return v != v;
  } else {
    return false;
  }
}

// v replaces the current best when strictly larger, or when it is the first NaN (NaN
// propagates, as in PyTorch). Ties keep the earlier element.
template <class T>
bool beats(T v, T best) {
  return v > best || (is_nan(v) && !is_nan(best));
}

// a and b are the same maximum (NaN matches NaN).
template <class T>
bool same_extremum(T a, T b) {
  return a == b || (is_nan(a) && is_nan(b));
}

// For each (non-empty) row, the first maximal element in row order: its value goes to
// values[r], its position within the row to index[r]. Blocks are folded in order by
// kernels::reduce_rows, so the winner never depends on the thread count.
template <class T>
void first_max_rows(const kernels::ReductionRows<T>& rows, T* values, std::int64_t* index) {
  struct Best {
    T value;
    const T* at;  // null: nothing seen yet
  };
  const T* base = rows.data.template data<T>();
  const std::int64_t inner = rows.inner;
  kernels::reduce_rows<T, Best>(
      rows, values, Best{T{}, nullptr},
      [](const T* p, std::int64_t n) {
        Best best{p[0], p};
        for (std::int64_t i = 1; i < n; ++i) {
          if (beats(p[i], best.value)) best = {p[i], p + i};
        }
        return best;
      },
      [](Best a, Best b) { return a.at == nullptr || beats(b.value, a.value) ? b : a; },
      // The winner's address identifies its row, so the index is written here.
      [base, inner, index](Best b) {
        const std::int64_t flat = b.at - base;
        index[flat / inner] = flat % inner;
        return b.value;
      });
}

// A gradient weight mask in the layout of kernels::reduction_rows (row r of length inner),
// filled by fill(r, T* row) for the floating type T of `dtype`, then viewed in the input's
// dim order. Raw: the mask is a constant of the backward formula.
template <class Fill>
Tensor row_mask(const Shape& input_shape, const std::vector<std::int64_t>& dims, DType dtype, std::string_view op,
                Fill fill) {
  std::int64_t inner = 1;
  for (auto d : dims) inner *= input_shape[d];
  const std::int64_t outer = inner == 0 ? 0 : numel(input_shape) / inner;
  Tensor mask = zeros({outer * inner}, {.dtype = dtype});
  visit_floating(dtype, op, [&](auto tag) {
    using T = decltype(tag);
    T* data = mask.data<T>();
    parallel_for(outer, std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(inner, 1)),
                 [&](std::int64_t begin, std::int64_t end) {
                   for (std::int64_t r = begin; r < end; ++r) fill(r, data + r * inner);
                 });
  });
  return unpermute_rows(mask, input_shape, dims);
}

// The zero-size samples of max and amax: an empty block has no maximum (PyTorch refuses
// too), while other dims may be empty.
inline std::vector<OpSample<ReduceAttrs>> empty_extremum_samples(Generator& gen) {
  std::vector<OpSample<ReduceAttrs>> out;
  out.push_back({"[3, 0] dim 0 (empty result)", {samples::distinct_arg({3, 0}, gen)}, ReduceAttrs{{0}, false}});
  out.push_back({.label = "[0, 3] dim 0 (rejected: empty block)",
                 .inputs = {samples::distinct_arg({0, 3}, gen)},
                 .attrs = ReduceAttrs{{0}, false},
                 .rejects = &typeid(ValueError)});
  out.push_back({.label = "[0, 3] all dims (rejected: empty block)",
                 .inputs = {samples::distinct_arg({0, 3}, gen)},
                 .attrs = ReduceAttrs{{}, false},
                 .rejects = &typeid(ValueError)});
  return out;
}

}  // namespace tg::detail
