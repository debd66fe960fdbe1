// The one strided iteration routine: walks a shape in row-major order over K operands
// with their own strides (broadcast operands have stride 0). Kernels supply the
// innermost-row body, so contiguous rows run as plain vectorisable loops.
#pragma once

#include <array>
#include <cstdint>

#include "tensor/parallel.hpp"
#include "tensor/shape.hpp"

namespace tg {

template <std::size_t K>
struct StridedGeometry {
  Shape shape;                   // coalesced shape (at least 1-D)
  std::array<Strides, K> strides;  // per operand, per dim
};

// Merges adjacent dims that every operand walks contiguously, so rows get as long as
// possible; drops size-1 dims.
template <std::size_t K>
StridedGeometry<K> coalesce(const Shape& shape, const std::array<Strides, K>& strides) {
  StridedGeometry<K> g;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !g.shape.empty();
    for (std::size_t k = 0; k < K && merge; ++k) merge = g.strides[k].back() == strides[k][d] * shape[d];
    if (merge) {
      g.shape.back() *= shape[d];
      for (std::size_t k = 0; k < K; ++k) g.strides[k].back() = strides[k][d];
    } else {
      g.shape.push_back(shape[d]);
      for (std::size_t k = 0; k < K; ++k) g.strides[k].push_back(strides[k][d]);
    }
  }
  if (g.shape.empty()) {
    g.shape.push_back(1);
    for (std::size_t k = 0; k < K; ++k) g.strides[k].push_back(0);
  }
  return g;
}

// Calls row(offsets, length, inner_strides) for every innermost row; offsets are element
// offsets of the row start per operand (relative to `base`). Parallel over rows when the
// total work exceeds `grain` elements.
template <std::size_t K, class RowFn>
void for_each_row(const Shape& shape, const std::array<Strides, K>& strides, const std::array<std::int64_t, K>& base,
                  RowFn&& row, std::int64_t grain = 32768) {
  if (numel(shape) == 0) return;
  const StridedGeometry<K> g = coalesce<K>(shape, strides);
  const auto rank = static_cast<std::int64_t>(g.shape.size());
  const std::int64_t length = g.shape.back();
  const std::int64_t rows = numel(g.shape) / length;
  std::array<std::int64_t, K> inner{};
  for (std::size_t k = 0; k < K; ++k) inner[k] = g.strides[k].back();
  const std::int64_t rows_per_chunk = grain / length + 1;
  parallel_for(rows, rows_per_chunk, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      std::array<std::int64_t, K> off = base;
      std::int64_t rem = r;
      for (std::int64_t d = rank - 2; d >= 0; --d) {
        const std::int64_t i = rem % g.shape[d];
        rem /= g.shape[d];
        for (std::size_t k = 0; k < K; ++k) off[k] += i * g.strides[k][d];
      }
      row(off, length, inner);
    }
  });
}

}  // namespace tg
