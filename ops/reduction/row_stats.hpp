// Row kernels of the statistic ops (var, std, norm, logsumexp): sums of a function of each
// element, optionally about a per-row centre (a mean, a maximum), folded in the fixed block
// order of kernels::reduce_rows so that the bits never depend on the thread count.
#pragma once

#include <cstdint>

#include "ops/kernels/math/reduce.hpp"

namespace tg::detail {

// The sum of term(p[i]) over n values, with the 8 interleaved accumulators and the
// combination order of kernels::block_sum.
template <class T, class Term>
T block_sum_of(const T* p, std::int64_t n, Term term) {
  T acc[8] = {};
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += term(p[i + k]);
  }
  T total = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; ++i) total += term(p[i]);
  return total;
}

// out[r] = sum over row r of term(v, centre[r]) (centre may be null: term(v, 0)).
template <class T, class Term>
void sum_rows_about(const kernels::ReductionRows<T>& rows, const T* centre, T* out, Term term) {
  const T* base = rows.data.template data<T>();
  const std::int64_t inner = rows.inner;
  kernels::reduce_rows<T, T>(
      rows, out, T{0},
      [&](const T* p, std::int64_t n) {
        // A block lies inside one row, so its start tells the row.
        const T c = centre == nullptr ? T{0} : centre[(p - base) / inner];
        return block_sum_of(p, n, [&](T v) { return term(v, c); });
      },
      [](T a, T b) { return a + b; }, [](T a) { return a; });
}

}  // namespace tg::detail
