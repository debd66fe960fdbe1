// The transforms of the F(2x2, 3x3) Winograd convolution (conv_winograd.hpp), as plain loops
// along contiguous runs that the compiler vectorises for the instruction set of the file that
// includes this one (conv_winograd_{portable,avx2,avx512}.cpp, after their target pragma).
// Internal linkage for the reason given in gemm_tile.hpp. Those files are built with
// -ffp-contract=off: only additions, subtractions and halvings, in the same order on every
// path, so every path gives the same bits.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "ops/kernels/conv/conv_winograd_kernels.hpp"

namespace tg::kernels::winograd_detail {
namespace {

// The three small matrices, each applied along one axis and then the other: entry i of
// G [a b c]^T, A^T [a b c d]^T and G^T [a b c d]^T. Called with constant i in unrolled
// loops, each folds to its one expression.
//   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]   (3 kernel taps -> 4 points)
template <class T>
[[gnu::always_inline]] inline T g_entry(int i, T a, T b, T c) {
  const T half = T(0.5);
  return i == 0 ? a : i == 1 ? (a + b + c) * half : i == 2 ? (a - b + c) * half : c;
}
//   A^T = [1 1 1 0; 0 1 -1 -1]                        (4 points -> 2 outputs)
template <class T>
[[gnu::always_inline]] inline T at_entry(int i, T a, T b, T c, T d) {
  return i == 0 ? a + b + c : b - c - d;
}
//   G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1]    (4 points -> 3 kernel taps)
template <class T>
[[gnu::always_inline]] inline T gt_entry(int i, T a, T b, T c, T d) {
  const T half = T(0.5);
  return i == 0 ? a + (b + c) * half : i == 1 ? (b - c) * half : (b + c) * half + d;
}

// U = G g G^T of `lanes` kernels stored tap-major, g(u, v) of lane l at taps[(3u + v) * lanes + l]:
// point (i, j) of lane l to u[(4i + j) * point + l].
template <class T>
[[gnu::always_inline]] inline void kernel_points(const T* __restrict taps, std::int64_t lanes, T* __restrict u,
                                                 std::int64_t point) {
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    for (std::int64_t l = 0; l < lanes; ++l) {
      T r[3];  // row i of G g
#pragma GCC unroll 3
      for (int v = 0; v < 3; ++v) {
        r[v] = g_entry(i, taps[v * lanes + l], taps[(3 + v) * lanes + l], taps[(6 + v) * lanes + l]);
      }
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) u[(4 * i + j) * point + l] = g_entry(j, r[0], r[1], r[2]);
    }
  }
}

// The kernels are gathered by the convolution's weight packer (weight_panels), a few input
// channels at a time (weights_channels): as stored, strip by strip, each strip's rows
// contiguous runs of the kernel; for the ROT180 rule rotated and channel-swapped in place,
// for all the strips of the run at once, each channel's kernels then read in memory order
// across the strips (conv_weights.cpp). Each strip's taps are then laid out tap-major, so
// that the transform runs along all the strip's lanes of the chunk's channels, which lie side
// by side in U (AVX2's 6-wide strip, 16 channels: 12 vectors of 8, where a channel's 6 lanes
// fill none). Lanes past the last output channel hold zero kernels, so their U is zero too.
// With Fixed > 0 the strip is Fixed wide, known to the compiler.
template <class T, int Fixed>
void weights_strips_lanes(ConvWeights<T> weights, const ConvLoopGeometry& g, std::int64_t grp, std::int64_t k0,
                          std::int64_t rows, std::int64_t strip_arg, T* u, std::int64_t point, T* taps) {
  const std::int64_t strip = Fixed > 0 ? Fixed : strip_arg;
  const std::int64_t kg = g.cout_g(), cg = g.cin_g();
  const std::int64_t span = weights_span(weights.rot180, rows, strip);
  const std::int64_t chunk = weights_channels(span, strip);
  T* const tap_major = taps + chunk * 9 * span;
  const PackAPanel<T> pack = weight_panels(weights, g, grp);
  for (std::int64_t r0 = 0; r0 < rows; r0 += span) {
    const std::int64_t strips = ceil_div(std::min(span, rows - r0), strip);
    for (std::int64_t c0 = 0; c0 < cg; c0 += chunk) {
      const std::int64_t channels = std::min(cg, c0 + chunk) - c0;
      const std::int64_t lanes = channels * strip;
      // Strip s's taps at taps[s * 9 * lanes + (c * 9 + tap) * strip + lane], c from c0.
      pack(taps, strip, k0 + r0, std::min(strips * strip, kg - k0 - r0), c0 * 9, channels * 9);
      for (std::int64_t s = 0; s < strips; ++s) {
        const T* strip_taps = taps + s * 9 * lanes;
        for (std::int64_t c = 0; c < channels; ++c) {
          for (int tap = 0; tap < 9; ++tap) {
            const T* src = strip_taps + (c * 9 + tap) * strip;
            T* dst = tap_major + tap * lanes + c * strip;
            if constexpr (Fixed > 0) {
              std::memcpy(dst, src, Fixed * sizeof(T));  // a constant size: a few vector moves
            } else {
              for (std::int64_t lane = 0; lane < strip; ++lane) dst[lane] = src[lane];
            }
          }
        }
        kernel_points<T>(tap_major, lanes, u + (r0 + s * strip) * cg + c0 * strip, point);
      }
    }
  }
}

// U = G g G^T for the kernels of output channels [k0, k0 + rows), in strips of `strip`, and
// every input channel (the layout is in conv_winograd_kernels.hpp).
template <class T>
void weights_strips(ConvWeights<T> weights, const ConvLoopGeometry& g, std::int64_t grp, std::int64_t k0,
                    std::int64_t rows, std::int64_t strip, T* u, std::int64_t point, T* taps) {
  switch (strip) {  // the GEMM's panel heights (gemm_*.cpp)
    case 4:
      return weights_strips_lanes<T, 4>(weights, g, grp, k0, rows, strip, u, point, taps);
    case 6:
      return weights_strips_lanes<T, 6>(weights, g, grp, k0, rows, strip, u, point, taps);
    case 8:
      return weights_strips_lanes<T, 8>(weights, g, grp, k0, rows, strip, u, point, taps);
    default:
      return weights_strips_lanes<T, 0>(weights, g, grp, k0, rows, strip, u, point, taps);
  }
}

// The loops below take restrict pointers: they run over separate buffers, and without that
// promise the compiler would not vectorise loops over this many streams.

// even[j] = row[2j] and odd[j] = row[2j + 1] for the `width` elements of a row; an odd width
// writes its last element to even[width / 2] and leaves odd[width / 2] untouched.
template <class T>
void split_columns(const T* __restrict row, std::int64_t width, T* __restrict even, T* __restrict odd) {
  const std::int64_t pairs = width / 2;
  for (std::int64_t j = 0; j < pairs; ++j) {
    even[j] = row[2 * j];
    odd[j] = row[2 * j + 1];
  }
  if (width % 2 != 0) even[pairs] = row[width - 1];
}

// The even and odd columns of padded row `row` (input row row - pad_top, zero outside the
// input): even[j] = padded column 2j, odd[j] = 2j + 1, j < n, padded column q holding input
// column q - pad_left.
template <class T>
void split_row(const T* plane, const ConvLoopGeometry& g, std::int64_t row, std::int64_t n, T* even, T* odd) {
  const std::int64_t r = row - g.pad_top;
  if (r < 0 || r >= g.in_h) {
    std::fill(even, even + n, T(0));
    std::fill(odd, odd + n, T(0));
    return;
  }
  const T* src = plane + r * g.in_w;
  const auto at = [&](std::int64_t q) { return q >= 0 && q < g.in_w ? src[q] : T(0); };
  // j with both 2j - pad_left and 2j + 1 - pad_left inside the input: no tests.
  const std::int64_t j_lo = std::clamp<std::int64_t>(ceil_div(std::max<std::int64_t>(g.pad_left, 0), 2), 0, n);
  const std::int64_t j_hi = std::clamp<std::int64_t>((g.in_w - 1 + g.pad_left) / 2, j_lo, n);
  for (std::int64_t j = 0; j < j_lo; ++j) {
    even[j] = at(2 * j - g.pad_left);
    odd[j] = at(2 * j + 1 - g.pad_left);
  }
  split_columns(src + 2 * j_lo - g.pad_left, 2 * (j_hi - j_lo), even + j_lo, odd + j_lo);
  for (std::int64_t j = j_hi; j < n; ++j) {
    even[j] = at(2 * j - g.pad_left);
    odd[j] = at(2 * j + 1 - g.pad_left);
  }
}

// B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1] applied to the four values
// (e[t], o[t], e[t + step], o[t + step]) for t < n: v_j[t] receives the j-th result. With
// e and o the even and odd columns of a row and step 1 this combines a block's four
// columns (d B); with e and o the even and odd rows of those results and step `cols`, a
// block's four rows (B^T .).
template <class T>
void transform_bt(const T* __restrict e, const T* __restrict o, std::int64_t n, std::int64_t step, T* __restrict v0,
                  T* __restrict v1, T* __restrict v2, T* __restrict v3) {
  for (std::int64_t t = 0; t < n; ++t) {
    v0[t] = e[t] - e[t + step];
    v1[t] = o[t] + e[t + step];
    v2[t] = e[t + step] - o[t];
    v3[t] = o[t] - o[t + step];
  }
}

// V = B^T d B, B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], for every block of one input
// plane. Each padded row is split into even and odd columns and combined across columns
// (d B) once; with the even and odd rows of the result stored apart, the rows under block
// t = by * cols + bx are entries t and t + cols of those two, so the row combination
// (B^T .) runs over all blocks of the plane in unit-stride runs.
template <class T>
void input_plane(const T* plane, const ConvLoopGeometry& g, T* v, std::int64_t point, T* scratch) {
  const Blocks blocks(g);
  const std::int64_t half_span = blocks.cols + 1;  // even (odd) columns the blocks read
  const std::int64_t half_rows = blocks.rows + 1;  // even (odd) padded rows the blocks read
  const std::int64_t combined = half_rows * blocks.cols;
  T* const even = scratch;  // one padded row's even and odd columns
  T* const odd = even + half_span;
  T* const cols_even = odd + half_span;  // d B: [point j][even rows][cols], then odd rows
  T* const cols_odd = cols_even + 4 * combined;
  for (std::int64_t row = 0; row < 2 * half_rows; ++row) {
    split_row(plane, g, row, half_span, even, odd);
    T* const c0 = (row % 2 == 0 ? cols_even : cols_odd) + row / 2 * blocks.cols;
    transform_bt(even, odd, blocks.cols, std::int64_t{1}, c0, c0 + combined, c0 + 2 * combined, c0 + 3 * combined);
  }
  for (int j = 0; j < 4; ++j) {
    T* const v0 = v + j * point;  // point (i, j) is xi = 4 i + j
    transform_bt(cols_even + j * combined, cols_odd + j * combined, blocks.per_image, blocks.cols, v0, v0 + 4 * point,
                 v0 + 8 * point, v0 + 12 * point);
  }
}

// Y = A^T m A plus the bias, for n blocks (point j of block t at m[j * point + t]): the even
// and odd output columns of their two output rows, into out[0..3] = even row 0, odd row 0,
// even row 1, odd row 1 (n each).
template <class T>
void output_blocks(const T* __restrict m, std::int64_t point, std::int64_t n, T bias, T* __restrict out) {
  for (std::int64_t t = 0; t < n; ++t) {
    T s[2][4];  // A^T m
    for (int j = 0; j < 4; ++j) {
      for (int i = 0; i < 2; ++i) {
        s[i][j] =
            at_entry(i, m[j * point + t], m[(4 + j) * point + t], m[(8 + j) * point + t], m[(12 + j) * point + t]);
      }
    }
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 2; ++j) out[(2 * i + j) * n + t] = at_entry(j, s[i][0], s[i][1], s[i][2], s[i][3]) + bias;
    }
  }
}

// One output row from its even and odd columns, in g's output layout (y_col apart), cut at
// out_w.
template <class T>
void interleave_row(const T* __restrict even, const T* __restrict odd, const ConvLoopGeometry& g, T* __restrict y) {
  const std::int64_t pairs = g.out_w / 2;
  if (g.y_col == 1) {  // dense rows: a stride the compiler knows, so the interleave vectorises
    for (std::int64_t bx = 0; bx < pairs; ++bx) {
      y[2 * bx] = even[bx];
      y[2 * bx + 1] = odd[bx];
    }
  } else {
    for (std::int64_t bx = 0; bx < pairs; ++bx) {
      y[2 * bx * g.y_col] = even[bx];
      y[(2 * bx + 1) * g.y_col] = odd[bx];
    }
  }
  if (g.out_w % 2 != 0) y[(g.out_w - 1) * g.y_col] = even[pairs];
}

// One output plane from M of its blocks (point j of block t at m[j * point + t]): all blocks
// in one run (the rows of 7 blocks of a 14 x 14 plane are too short to vectorise), then
// each output row interleaved into y.
template <class T>
void output_plane(const T* m, std::int64_t point, T bias, const ConvLoopGeometry& g, T* y, T* scratch) {
  const Blocks blocks(g);
  const std::int64_t y_row = y_row_stride(g);
  output_blocks(m, point, blocks.per_image, bias, scratch);
  for (std::int64_t i = 0; i < g.out_h; ++i) {
    const std::int64_t by = i / 2;
    const T* even = scratch + 2 * (i % 2) * blocks.per_image + by * blocks.cols;
    interleave_row(even, even + blocks.per_image, g, y + i * y_row);
  }
}

// A = [1 0; 1 1; 1 -1; 0 -1] applied to the pairs (a[t], b[t]), t < n: z_j[t] receives the
// j-th result. With a and b the even and odd columns of a row of dy this combines a block's
// two columns (e A^T); with a and b the blocks' top and bottom rows of those, its two rows.
template <class T>
void transform_a(const T* __restrict a, const T* __restrict b, std::int64_t n, T* __restrict z0, T* __restrict z1,
                 T* __restrict z2, T* __restrict z3) {
  for (std::int64_t t = 0; t < n; ++t) {
    z0[t] = a[t];
    z1[t] = a[t] + b[t];
    z2[t] = a[t] - b[t];
    z3[t] = -b[t];
  }
}

// Z = A e A^T for every 2x2 block e of one output-gradient plane (zero past the plane's
// edge): the weight gradient's transform of dy. Each row of dy is split into even and odd
// columns and combined across them (e A^T), its even and odd rows stored apart; then the two
// rows of every block are combined (A .) in unit-stride runs over all blocks.
template <class T>
void output_grad_plane(const T* dy, const ConvLoopGeometry& g, T* z, std::int64_t point, T* scratch) {
  const Blocks blocks(g);
  const std::int64_t n = blocks.per_image;
  T* const even = scratch;  // one dy row's even and odd columns
  T* const odd = even + blocks.cols;
  T* const top = odd + blocks.cols;  // e A^T: [point j][block], rows 2 by
  T* const bottom = top + 4 * n;     // and rows 2 by + 1
  for (std::int64_t row = 0; row < 2 * blocks.rows; ++row) {
    if (row < g.out_h) {
      // An odd width leaves the last block's second column past the edge: zero.
      odd[blocks.cols - 1] = T(0);
      split_columns(dy + row * g.out_w, g.out_w, even, odd);
    } else {
      std::fill(even, even + 2 * blocks.cols, T(0));
    }
    T* const c0 = (row % 2 == 0 ? top : bottom) + row / 2 * blocks.cols;
    transform_a(even, odd, blocks.cols, c0, c0 + n, c0 + 2 * n, c0 + 3 * n);
  }
  for (int j = 0; j < 4; ++j) {
    T* const z0 = z + j * point;
    transform_a(top + j * n, bottom + j * n, n, z0, z0 + 4 * point, z0 + 8 * point, z0 + 12 * point);
  }
}

// dW = G^T M G for output channel k of group grp and every input channel c (point xi of
// (k, c) at m[xi * point + c]): the gradient of U = G g G^T carried back to the 3x3 kernel.
template <class T>
void kernel_grad_channel(const T* m, std::int64_t point, const ConvLoopGeometry& g, std::int64_t grp, std::int64_t k,
                         T* dw) {
  const std::int64_t kg = g.cout_g(), cg = g.cin_g();
  T* const dw_k = dw + (grp * kg + k) * cg * 9;
  for (std::int64_t c = 0; c < cg; ++c) {
    T r[3][4];  // G^T M
    for (int b = 0; b < 4; ++b) {
      for (int a = 0; a < 3; ++a) {
        r[a][b] =
            gt_entry(a, m[b * point + c], m[(4 + b) * point + c], m[(8 + b) * point + c], m[(12 + b) * point + c]);
      }
    }
    T* const out = dw_k + c * 9;
    for (int a = 0; a < 3; ++a) {
      for (int b = 0; b < 3; ++b) out[a * 3 + b] = gt_entry(b, r[a][0], r[a][1], r[a][2], r[a][3]);
    }
  }
}

constexpr Transforms<float> kTransformsF32 = {&weights_strips<float>, &input_plane<float>, &output_plane<float>,
                                              &output_grad_plane<float>, &kernel_grad_channel<float>};
constexpr Transforms<double> kTransformsF64 = {&weights_strips<double>, &input_plane<double>, &output_plane<double>,
                                               &output_grad_plane<double>, &kernel_grad_channel<double>};

}  // namespace
}  // namespace tg::kernels::winograd_detail

// The accessors <isa>_transforms<T>() of the including file's tables: expanded once by that
// file after its target pragma is popped, so that they run on any CPU (the dispatch calls
// all three before it picks one).
#define TG_WINOGRAD_TRANSFORMS(isa)                      \
  namespace tg::kernels::winograd_detail {               \
  template <>                                            \
  const Transforms<float>& isa##_transforms<float>() {   \
    return kTransformsF32;                               \
  }                                                      \
  template <>                                            \
  const Transforms<double>& isa##_transforms<double>() { \
    return kTransformsF64;                               \
  }                                                      \
  }
