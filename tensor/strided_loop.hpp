// The one strided iteration routine: walks a shape in row-major order over K operands
// with their own strides (broadcast operands have stride 0). Kernels supply the
// innermost-row body, so contiguous rows run as plain vectorisable loops.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "tensor/parallel.hpp"
#include "tensor/shape.hpp"

namespace tg {

template <std::size_t K>
struct StridedGeometry {
  Shape shape;                     // coalesced shape (at least 1-D)
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

// A dim (not the last) along which some operand has stride +-1 while it strides by more
// than one element along the last dim: a transposed layout. -1 if there is none.
template <std::size_t K>
std::int64_t transposed_dim(const StridedGeometry<K>& g) {
  const auto last = g.shape.size() - 1;
  for (std::size_t k = 0; k < K; ++k) {
    if (g.strides[k][last] >= -1 && g.strides[k][last] <= 1) continue;  // unit stride or broadcast
    for (std::size_t d = last; d-- > 0;) {
      if (g.strides[k][d] == 1 || g.strides[k][d] == -1) return static_cast<std::int64_t>(d);
    }
  }
  return -1;
}

// Calls row(offsets, length, inner_strides) for every innermost row, or for pieces of it;
// offsets are element offsets of the (piece's) start per operand (relative to `base`).
// Parallel when the total work exceeds `grain` elements: over whole rows, and a row longer
// than `grain` is cut into fixed pieces (so one long row, e.g. a same-shape contiguous
// operation that coalesced to 1-D, still runs on every thread). The partition depends only
// on the shape and `grain`, never on the thread count.
// When the work is split and an operand is transposed (see transposed_dim), rows are
// visited in tiles of kTileRows pieces of kTileCols elements, so each cache line of that
// operand serves many rows; callers that need row-major order pass a grain above the work.
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
  const std::int64_t td = rows * length > grain ? transposed_dim(g) : -1;
  if (td >= 0) {
    constexpr std::int64_t kTileRows = 32, kTileCols = 64;
    const std::int64_t tiles_d = (g.shape[td] + kTileRows - 1) / kTileRows;
    const std::int64_t tiles_last = (length + kTileCols - 1) / kTileCols;
    const std::int64_t tiles = rows / g.shape[td] * tiles_d * tiles_last;
    parallel_for(tiles, grain / (kTileRows * kTileCols) + 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t t = begin; t < end; ++t) {
        // t enumerates (other dims..., tile along td, tile along the last dim), row-major.
        const std::int64_t col0 = (t % tiles_last) * kTileCols;
        const std::int64_t row0 = (t / tiles_last % tiles_d) * kTileRows;
        std::int64_t rest = t / tiles_last / tiles_d;
        std::array<std::int64_t, K> corner = base;
        for (std::int64_t d = rank - 2; d >= 0; --d) {
          if (d == td) continue;
          const std::int64_t i = rest % g.shape[d];
          rest /= g.shape[d];
          for (std::size_t k = 0; k < K; ++k) corner[k] += i * g.strides[k][d];
        }
        for (std::size_t k = 0; k < K; ++k) corner[k] += row0 * g.strides[k][td] + col0 * inner[k];
        for (std::int64_t i = 0; i < std::min(kTileRows, g.shape[td] - row0); ++i) {
          std::array<std::int64_t, K> off = corner;
          for (std::size_t k = 0; k < K; ++k) off[k] += i * g.strides[k][td];
          row(off, std::min(kTileCols, length - col0), inner);
        }
      }
    });
    return;
  }
  const auto row_start = [&](std::int64_t r) {
    std::array<std::int64_t, K> off = base;
    for (std::int64_t d = rank - 2; d >= 0; --d) {
      const std::int64_t i = r % g.shape[d];
      r /= g.shape[d];
      for (std::size_t k = 0; k < K; ++k) off[k] += i * g.strides[k][d];
    }
    return off;
  };
  if (length <= grain) {
    parallel_for(rows, grain / length + 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t r = begin; r < end; ++r) row(row_start(r), length, inner);
    });
    return;
  }
  const std::int64_t pieces = (length + grain - 1) / grain;  // per row, each <= grain long
  parallel_for(rows * pieces, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t t = begin; t < end; ++t) {
      std::array<std::int64_t, K> off = row_start(t / pieces);
      const std::int64_t first = (t % pieces) * grain;
      for (std::size_t k = 0; k < K; ++k) off[k] += first * inner[k];
      row(off, std::min(grain, length - first), inner);
    }
  });
}

}  // namespace tg
