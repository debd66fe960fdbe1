// The body of max_pool2d_tiled shared by the SIMD paths, over a traits type S (see
// pool_tiled_avx2.cpp, pool_tiled_avx512.cpp) that supplies, for L lanes of T:
//   types Vec, Idx (a lane's plane offset), Mask (a compare result), LoadMask, Out;
//   Taps<KW>: get(z, v) puts value KW*j + v of the segment held by z[0 .. KW) in lane j;
//   zero(); load_mask(first, count) (lanes [first, first + count)); load_part(z, p, m, room)
//   (z with the lanes of m loaded from p[lane]); out(n) (the first n lanes); indices(lanes);
//   offset(idx, s) (idx + s); takes(value, best); select(m, a, b) (b where m, else a);
//   store(y, argmax, out, best, idx, room). `room` says that all L lanes from p (from y,
//   argmax) lie inside x (inside this call's outputs, ahead of the blocks still to come),
//   so a path may read (write) whole registers instead of masking.
// Include only after the ISA's target pragma; internal linkage, like gemm_tile.hpp.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "ops/kernels/pool/pool_loops.hpp"

namespace tg::kernels::pool_detail {
namespace {

// A block of windows: `rows` output rows of n windows each, window j of row r in lane
// r * n + j. Its input, per tap row, is a segment of KW * n values per output row; the
// segments follow each other in the KW registers (row r's at [KW*n*r, KW*n*(r+1))), each
// register filled by masked loads of the rows it holds (parts). Offsets are from the
// block's corner (tap (0, 0) of its first window).
// Parts per register: max_tiled_planes packs rows only when each holds KW * n >= L / 2 values
// (n >= L / 4), so a register meets at most 3 of them.
constexpr int kMaxParts = 3;

template <class S, int KW>
struct Layout {
  std::int64_t offset[KW][kMaxParts] = {};
  typename S::LoadMask mask[KW][kMaxParts] = {};
  int count[KW] = {};  // parts of each register
  typename S::Out out{};
  typename S::Idx columns{};  // plane offset of each lane's window from the corner
};

// `row_step` is the plane offset between output rows (stride_h * in_w).
template <class S, int KW>
Layout<S, KW> make_layout(int rows, int n, std::int64_t row_step) {
  constexpr int L = S::L;
  Layout<S, KW> l;
  const int per_row = KW * n;
  for (int c = 0; c < KW; ++c) {
    for (int r = 0; r < rows; ++r) {
      const int lo = std::max(c * L, r * per_row), hi = std::min((c + 1) * L, (r + 1) * per_row);
      if (lo >= hi) continue;
      // Lane k of register c holds segment value c*L + k: row r's column c*L + k - r*per_row.
      // The base (lane 0) lies inside the rows' input, since row_step >= per_row.
      l.offset[c][l.count[c]] = r * row_step + c * L - r * per_row;
      l.mask[c][l.count[c]++] = S::load_mask(lo - c * L, hi - lo);
    }
  }
  l.out = S::out(rows * n);
  std::int64_t lanes[L] = {};
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < n; ++j) lanes[r * n + j] = r * row_step + KW * j;
  }
  l.columns = S::indices(lanes);
  return l;
}

// Planes [p0, p1), a block at a time: runs of L windows of one output row, or, for rows of
// L/4 to L/2 windows, as many whole rows as fit (a 5-wide row alone would leave most lanes
// idle; narrower rows would need more parts per register). Per block, each tap row's values
// are loaded and split into KW vectors, tap (u, v) of every window at once. Each tap row is
// reduced first, then the rows in order: the "first NaN, else first maximum" that a
// row-major scan finds is associative, so this grouping picks the same element while
// shortening the chain of dependent compares. KH > 0 fixes the kernel height at compile
// time; 0 reads it from g.
template <class S, int KW, int KH>
void max_tiled_planes(const typename S::T* x, typename S::T* y, std::int64_t* argmax, const PoolGeometry& g,
                      std::int64_t p0, std::int64_t p1) {
  using T = typename S::T;
  using Vec = typename S::Vec;
  using Idx = typename S::Idx;
  constexpr int L = S::L;
  const std::int64_t kernel_h = KH > 0 ? KH : g.kernel_h;
  const std::int64_t row_step = g.stride_h * g.in_w, plane_in = g.in_h * g.in_w, plane_out = g.out_h * g.out_w;
  const auto n = static_cast<int>(g.out_w);
  const int rows_per_block = 4 * n >= L && 2 * n <= L ? L / n : 1;
  const T* const x_end = x + g.planes * plane_in;
  const std::int64_t out_end = p1 * plane_out;
  const typename S::template Taps<KW> taps;
  // The usual block, and the last one of a plane (fewer rows) or of a row (fewer windows).
  const Layout<S, KW> full =
      rows_per_block > 1 ? make_layout<S, KW>(rows_per_block, n, row_step) : make_layout<S, KW>(1, L, row_step);
  const Layout<S, KW> last = rows_per_block > 1
                                 ? make_layout<S, KW>(static_cast<int>(g.out_h % rows_per_block), n, row_step)
                                 : make_layout<S, KW>(1, n % L, row_step);
  // The maximum over the KW taps of one window row at plane offset `at`. Parts is the most
  // parts per register (1 unless rows are packed): a constant, so that the loops unroll
  // and z stays in registers.
  const auto row_max = [&](auto parts, const T* xp, const Layout<S, KW>& l, std::int32_t at, Vec& best, Idx& index) {
    Vec z[KW];
#pragma GCC unroll 3
    for (int c = 0; c < KW; ++c) {
      z[c] = S::zero();
#pragma GCC unroll 3
      for (int k = 0; k < decltype(parts)::value; ++k) {
        if (k >= l.count[c]) continue;
        const T* p = xp + at + l.offset[c][k];
        z[c] = S::load_part(z[c], p, l.mask[c][k], x_end - p >= L);
      }
    }
    best = taps.get(z, 0);
    index = S::offset(l.columns, at);
#pragma GCC unroll 3
    for (int v = 1; v < KW; ++v) {
      const Vec value = taps.get(z, v);
      const typename S::Mask take = S::takes(value, best);
      best = S::select(take, best, value);
      index = S::select(take, index, S::offset(l.columns, at + v));
    }
  };
  // One block; `corner` fits in int32 (max_pool2d_tiled_applies), as do all plane offsets.
  const auto block = [&](auto parts, const T* xp, const Layout<S, KW>& l, std::int64_t corner, std::int64_t out) {
    Vec best;
    Idx index;
    row_max(parts, xp, l, static_cast<std::int32_t>(corner), best, index);
#pragma GCC unroll 3
    for (std::int64_t u = 1; u < kernel_h; ++u) {
      Vec row_best;
      Idx row_index;
      row_max(parts, xp, l, static_cast<std::int32_t>(corner + u * g.in_w), row_best, row_index);
      const typename S::Mask take = S::takes(row_best, best);
      best = S::select(take, best, row_best);
      index = S::select(take, index, row_index);
    }
    // Lanes past the block's outputs, when inside this call's range, belong to blocks that
    // come later and overwrite them.
    S::store(y + out, argmax + out, l.out, best, index, out_end - out >= L);
  };
  for (std::int64_t p = p0; p < p1; ++p) {
    const T* xp = x + p * plane_in;
    if (rows_per_block > 1) {
      for (std::int64_t i = 0; i < g.out_h; i += rows_per_block) {
        block(std::integral_constant<int, kMaxParts>{}, xp, g.out_h - i >= rows_per_block ? full : last, i * row_step,
              p * plane_out + i * g.out_w);
      }
      continue;
    }
    for (std::int64_t i = 0; i < g.out_h; ++i) {
      for (std::int64_t j0 = 0; j0 < g.out_w; j0 += L) {
        block(std::integral_constant<int, 1>{}, xp, g.out_w - j0 >= L ? full : last, i * row_step + KW * j0,
              p * plane_out + i * g.out_w + j0);
      }
    }
  }
}

// Calls max_tiled_planes with the kernel width, and the common heights, as compile-time
// constants.
template <class S>
void max_tiled_planes_for_width(const typename S::T* x, typename S::T* y, std::int64_t* argmax, const PoolGeometry& g,
                                std::int64_t p0, std::int64_t p1) {
  if (g.kernel_w == 2) {
    if (g.kernel_h == 2) return max_tiled_planes<S, 2, 2>(x, y, argmax, g, p0, p1);
    return max_tiled_planes<S, 2, 0>(x, y, argmax, g, p0, p1);
  }
  if (g.kernel_h == 3) return max_tiled_planes<S, 3, 3>(x, y, argmax, g, p0, p1);
  max_tiled_planes<S, 3, 0>(x, y, argmax, g, p0, p1);
}

}  // namespace
}  // namespace tg::kernels::pool_detail
