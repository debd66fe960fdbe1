// Softmax and log-softmax kernels, and the row primitives they share with the fused
// cross-entropy. All are numerically stable (the maximum is subtracted before exp) and
// deterministic: every sum has a fixed partition and order that depends on the shape only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "ops/kernels/math/reduce.hpp"
#include "ops/kernels/math/vec_exp.hpp"
#include "ops/kernels/math/vec_math.hpp"

namespace tg::kernels {

// Largest non-NaN value of v[0, n) (-inf if none). A NaN in the row still poisons every
// result downstream, through exp(NaN - max).
template <class T>
T row_max(const T* v, std::int64_t n) {
  constexpr int kLanes = 8;  // independent maxima: the loop vectorises
  T acc[kLanes];
  for (T& a : acc) a = -std::numeric_limits<T>::infinity();
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) acc[k] = v[i + k] > acc[k] ? v[i + k] : acc[k];
  }
  for (; i < n; ++i) acc[0] = v[i] > acc[0] ? v[i] : acc[0];
  T m = acc[0];
  for (int k = 1; k < kLanes; ++k) m = acc[k] > m ? acc[k] : m;
  return m;
}

// y[j] = exp(y[j]) for j < n; float takes the widest SIMD path (exp dominates softmax).
template <class T>
void exp_in_place(T* y, std::int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    exp_floats(y, y, n);
  } else {
    for (std::int64_t j = 0; j < n; ++j) y[j] = kernels::exp(y[j]);
  }
}

// y[j] = exp(v[j] - shift) for j < n (y may be v).
template <class T>
void exp_shifted(const T* v, T shift, T* y, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) y[j] = v[j] - shift;
  exp_in_place(y, n);
}

// Sum of a row as reduce_rows folds it: block_sum over fixed blocks of kReduceBlock,
// added in block order.
template <class T>
T row_sum(const T* v, std::int64_t n) {
  T acc = T(0);
  for (std::int64_t b = 0; b < n; b += kReduceBlock) acc += block_sum(v + b, std::min(kReduceBlock, n - b));
  return acc;
}

// Softmax (or log-softmax when `log`) of x viewed as [outer, n, inner] along the middle
// dim, x and y contiguous. Parallel over rows / column blocks; a single long row is split
// into fixed blocks whose partial maxima and sums are combined in order.
template <class T>
void softmax_loops(const T* x, T* y, std::int64_t outer, std::int64_t n, std::int64_t inner, bool log);

// The softmax Jacobian at output y applied to g, rows of n contiguous elements:
// dx = y * (g - s), s = sum of g * y over the row, folded as the sum op folds a row
// (row_sum). Each value goes through the operations of the ops y * (g - sum(g * y)), in
// their order, so the bits are theirs. Parallel over rows; dx may not alias g or y.
template <class T>
void softmax_backward_rows(const T* g, const T* y, T* dx, std::int64_t rows, std::int64_t n);

}  // namespace tg::kernels
