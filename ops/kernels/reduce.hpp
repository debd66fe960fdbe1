// Deterministic reductions. The reduced dims are moved last (a copy only when the layout
// needs it), so each output element folds one contiguous row. Long rows are cut into
// fixed blocks whose partial results are combined in block order: the summation order
// depends only on the shape, never on the thread count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tensor/parallel.hpp"
#include "tensor/tensor.hpp"

namespace tg::kernels {

inline constexpr std::int64_t kReduceBlock = 16384;

// Rows of a reduction: x viewed as [outer, inner] with the reduced dims last.
template <class T>
struct ReductionRows {
  Tensor data;  // contiguous, reduced dims last
  std::int64_t outer = 1;
  std::int64_t inner = 1;
  const T* row(std::int64_t i) const { return data.data<T>() + i * inner; }
};

template <class T>
ReductionRows<T> reduction_rows(const Tensor& x, const std::vector<std::int64_t>& dims) {
  std::vector<std::int64_t> order;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    if (std::find(dims.begin(), dims.end(), d) == dims.end()) order.push_back(d);
  }
  order.insert(order.end(), dims.begin(), dims.end());
  Shape shape;
  Strides strides;
  std::int64_t inner = 1;
  for (auto d : order) {
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  for (auto d : dims) inner *= x.shape()[d];
  Tensor permuted = raw::as_strided(x, shape, strides, x.offset());
  ReductionRows<T> rows;
  rows.data = raw::contiguous(permuted);
  rows.inner = inner;
  rows.outer = inner == 0 ? numel(reduced_shape(x.shape(), dims, false)) : x.numel() / inner;
  return rows;
}

// Folds each row with `fold(const T* p, n) -> Acc` per block and `combine(Acc, Acc)` across
// blocks (in block order), then `finish(Acc) -> T`. Writes outer values into `out`.
template <class T, class Acc, class Fold, class Combine, class Finish>
void reduce_rows(const ReductionRows<T>& rows, T* out, Acc init, Fold fold, Combine combine, Finish finish) {
  const std::int64_t inner = rows.inner;
  if (rows.outer >= 2 || inner <= kReduceBlock) {
    const std::int64_t grain = std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(inner, 1));
    parallel_for(rows.outer, grain, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t r = begin; r < end; ++r) {
        Acc acc = init;
        for (std::int64_t b = 0; b < inner; b += kReduceBlock) {
          acc = combine(acc, fold(rows.row(r) + b, std::min(kReduceBlock, inner - b)));
        }
        out[r] = finish(acc);
      }
    });
    return;
  }
  // One long row: blocks in parallel, combined in order.
  const std::int64_t blocks = (inner + kReduceBlock - 1) / kReduceBlock;
  std::vector<Acc> partial(static_cast<std::size_t>(blocks), init);
  const T* p = rows.row(0);
  parallel_for(blocks, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t b = begin; b < end; ++b) {
      partial[b] = fold(p + b * kReduceBlock, std::min(kReduceBlock, inner - b * kReduceBlock));
    }
  });
  Acc acc = init;
  for (const Acc& v : partial) acc = combine(acc, v);
  out[0] = finish(acc);
}

// Sum of n values with 8 interleaved accumulators (vectorises; fixed order).
template <class T>
T block_sum(const T* p, std::int64_t n) {
  T acc[8] = {};
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += p[i + k];
  }
  T total = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; ++i) total += p[i];
  return total;
}

}  // namespace tg::kernels
