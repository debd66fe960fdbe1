// Shared by max, amax, argmax, min and amin: the first extremal element of each reduction
// row, gradient masks laid out in the input's shape, and the forwards and backwards of the
// max/min and amax/amin pairs (one piece of code for both directions).
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

enum class Extremum { Max, Min };

// v replaces the current best when strictly larger (Max) or smaller (Min), or when it is
// the first NaN (NaN propagates, as in PyTorch). Ties keep the earlier element.
template <Extremum E = Extremum::Max, class T>
bool beats(T v, T best) {
  const bool better = E == Extremum::Max ? v > best : v < best;
  return better || (is_nan(v) && !is_nan(best));
}

// a and b are the same maximum (NaN matches NaN).
template <class T>
bool same_extremum(T a, T b) {
  return a == b || (is_nan(a) && is_nan(b));
}

// For each (non-empty) row, the first maximal (E = Min: minimal) element in row order: its
// value goes to values[r], its position within the row to index[r]. Blocks are folded in
// order by kernels::reduce_rows, so the winner never depends on the thread count.
template <Extremum E = Extremum::Max, class T>
void first_extremum_rows(const kernels::ReductionRows<T>& rows, T* values, std::int64_t* index) {
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
          if (beats<E>(p[i], best.value)) best = {p[i], p + i};
        }
        return best;
      },
      [](Best a, Best b) { return a.at == nullptr || beats<E>(b.value, a.value) ? b : a; },
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

// The forward of max (E = Max) and min: the first extremal element of each reduced block,
// whose position is saved for the backward (extremum_at_first_backward).
Tensor extremum_at_first_forward(ForwardContext& ctx, const ReduceAttrs& attrs, Extremum e);
// dx = expand(g) * onehot(saved position): the same for both directions.
std::vector<Tensor> extremum_at_first_backward(const BackwardContext& ctx, const Tensor& g, const ReduceAttrs& attrs);
// The forward of amax (E = Max) and amin; saves x and the output, which locate the ties.
Tensor extremum_all_ties_forward(ForwardContext& ctx, const ReduceAttrs& attrs, Extremum e);
// dx = expand(g) * w, w = 1 / k at each of the k elements equal to the output, 0 elsewhere.
std::vector<Tensor> extremum_all_ties_backward(const BackwardContext& ctx, const Tensor& g, const ReduceAttrs& attrs);

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

// The samples of min and amin (amin.cpp), seeded by the caller.
std::vector<OpSample<ReduceAttrs>> minimum_samples(std::uint64_t seed);

}  // namespace tg::detail
