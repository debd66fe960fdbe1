// Deterministic reductions. The reduced dims are moved last (a copy only when the layout
// needs it), so each output element folds one contiguous row; sums over adjacent dims of a
// contiguous tensor instead run down the columns in place (sum_columns), with the same bits. Long rows are cut into
// fixed blocks whose partial results are combined in block order: the summation order
// depends only on the shape, never on the thread count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "ops/kernels/math/block_sum.hpp"
#include "tensor/checked_math.hpp"
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
// blocks (in block order), then `finish(Acc) -> T`. Writes outer values into `out`. A fold
// with a member `blocks(p, block, count, Acc* out)` (BlockSumFold) folds a long row's whole
// blocks through it.
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
  // One long row: blocks in parallel, combined in order. A task takes 8 blocks (512 KB of
  // floats), enough for block_sums to run four side by side.
  const std::int64_t blocks = (inner + kReduceBlock - 1) / kReduceBlock;
  std::vector<Acc> partial(static_cast<std::size_t>(blocks), init);
  const T* p = rows.row(0);
  parallel_for(blocks, 8, [&](std::int64_t begin, std::int64_t end) {
    std::int64_t b = begin;
    if constexpr (requires(Acc * a) { fold.blocks(p, kReduceBlock, blocks, a); }) {
      // The range's whole blocks side by side; a short last block is left to the loop.
      const std::int64_t whole_end = std::clamp(inner / kReduceBlock, begin, end);
      fold.blocks(p + begin * kReduceBlock, kReduceBlock, whole_end - begin, partial.data() + begin);
      b = whole_end;
    }
    for (; b < end; ++b) {
      partial[b] = fold(p + b * kReduceBlock, std::min(kReduceBlock, inner - b * kReduceBlock));
    }
  });
  Acc acc = init;
  for (const Acc& v : partial) acc = combine(acc, v);
  out[0] = finish(acc);
}

// x viewed as [outer, n, inner] when it is contiguous and the reduced dims are adjacent:
// the reduction runs down the middle dim. `applies` is false otherwise, and when inner is 1
// (then reduction_rows needs no copy anyway).
struct MiddleReduction {
  bool applies = false;
  std::int64_t outer = 1, n = 1, inner = 1;
};

inline MiddleReduction middle_reduction(const Tensor& x, const std::vector<std::int64_t>& dims) {
  MiddleReduction m;
  if (dims.empty() || !x.is_contiguous() || x.numel() == 0) return m;
  for (std::size_t i = 1; i < dims.size(); ++i) {
    if (dims[i] != dims[i - 1] + 1) return m;
  }
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    (d < dims.front() ? m.outer : d <= dims.back() ? m.n : m.inner) *= x.size(d);
  }
  m.applies = m.inner > 1;
  return m;
}

// Sums down the middle dim of x [outer, n, inner] into out [outer, inner], then finish(),
// without moving the reduced dim last: blocks of adjacent columns advance together, and each
// column is folded with exactly the operations, in exactly the order, that reduce_rows with
// block_sum applies to a row (blocks of kReduceBlock, 8 interleaved accumulators, the same
// pairwise combination and tail). So the bits equal those of the copy-and-reduce path.
// Integers accumulate as unsigned (wrapping), as in block_sum.
template <class T, class Finish>
void sum_columns(const T* x_typed, T* out, const MiddleReduction& m, Finish finish) {
  using A = wrapping_accumulator_t<T>;
  const A* x = reinterpret_cast<const A*>(x_typed);  // same size and representation
  constexpr std::int64_t kColumns = 1024;            // long contiguous runs per row; 8 x 1024 accumulators on the stack
  const std::int64_t per_slab = (m.inner + kColumns - 1) / kColumns;
  const std::int64_t grain = std::max<std::int64_t>(1, 32768 / (m.n * std::min(m.inner, kColumns)));
  parallel_for(m.outer * per_slab, grain, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t t = begin; t < end; ++t) {
      const std::int64_t c0 = (t % per_slab) * kColumns;
      const std::int64_t w = std::min(kColumns, m.inner - c0);
      const A* xs = x + (t / per_slab) * m.n * m.inner + c0;
      A all[kColumns] = {};
      for (std::int64_t b = 0; b < m.n; b += kReduceBlock) {
        const std::int64_t len = std::min(kReduceBlock, m.n - b);
        A acc[8][kColumns] = {};
        std::int64_t i = 0;
        for (; i + 8 <= len; i += 8) {
          for (int k = 0; k < 8; ++k) {
            const A* row = xs + (b + i + k) * m.inner;
            for (std::int64_t c = 0; c < w; ++c) acc[k][c] += row[c];
          }
        }
        A total[kColumns];
        for (std::int64_t c = 0; c < w; ++c) {
          total[c] =
              pair_accumulators(acc[0][c], acc[1][c], acc[2][c], acc[3][c], acc[4][c], acc[5][c], acc[6][c], acc[7][c]);
        }
        for (; i < len; ++i) {
          const A* row = xs + (b + i) * m.inner;
          for (std::int64_t c = 0; c < w; ++c) total[c] += row[c];
        }
        for (std::int64_t c = 0; c < w; ++c) all[c] = all[c] + total[c];
      }
      T* o = out + (t / per_slab) * m.inner + c0;
      for (std::int64_t c = 0; c < w; ++c) o[c] = finish(static_cast<T>(all[c]));
    }
  });
}

}  // namespace tg::kernels
