#include "ops/kernels/conv/im2col.hpp"

#include <algorithm>
#include <cstring>

#include "ops/kernels/scratch.hpp"

namespace tg::kernels {

namespace {

// dst[0, n) = src[0, n) for the short runs of a panel row (at most a panel's width; 7 to
// 56 elements in ResNet's deep layers): 16-byte moves inline, where a library copy would
// cost more in the call than in the copying.
template <class T>
void copy_short(const T* src, std::int64_t n, T* dst) {
  constexpr std::int64_t kChunk = 16 / sizeof(T);
  std::int64_t t = 0;
  for (; t + kChunk <= n; t += kChunk) std::memcpy(dst + t, src + t, 16);
  for (; t < n; ++t) dst[t] = src[t];
}

// The output columns [begin, end) whose tap column j * stride + offset lies in [0, width):
// the same for every row of a tap, so it is found once per tap.
struct ColumnRange {
  std::int64_t begin, end;
  ColumnRange(std::int64_t out_w, std::int64_t width, std::int64_t stride, std::int64_t offset)
      : begin(std::clamp<std::int64_t>(offset >= 0 ? 0 : (-offset + stride - 1) / stride, 0, out_w)),
        end(std::clamp<std::int64_t>(width - offset <= 0 ? 0 : (width - offset + stride - 1) / stride, begin, out_w)) {}
};

// One output row segment of a tap: out[t] = x_row[(j0 + t) * stride + offset] for output
// columns j0 + t in `live`, zero elsewhere; so the copy loop has no bounds checks.
template <class T>
void gather_run(const T* x_row, std::int64_t j0, std::int64_t run, std::int64_t stride, std::int64_t offset,
                ColumnRange live, T* out) {
  const std::int64_t lo = std::clamp<std::int64_t>(live.begin - j0, 0, run);
  const std::int64_t hi = std::clamp<std::int64_t>(live.end - j0, lo, run);
  const std::int64_t start = j0 * stride + offset;  // source column of t = 0
  for (std::int64_t t = 0; t < lo; ++t) out[t] = T(0);
  if (stride == 1) {
    copy_short(x_row + start + lo, hi - lo, out + lo);
  } else if (stride == 2) {  // every strided ResNet layer: a constant stride, so it vectorises
    for (std::int64_t t = lo; t < hi; ++t) out[t] = x_row[start + 2 * t];
  } else {
    for (std::int64_t t = lo; t < hi; ++t) out[t] = x_row[start + t * stride];
  }
  for (std::int64_t t = hi; t < run; ++t) out[t] = T(0);
}

// Block size bound of im2col_through_offsets' table (16 KB on the stack).
constexpr std::int64_t kMaxOffsets = 2048;

// im2col_block for a block whose columns span several output rows (ResNet's 7 x 7 planes
// under 16-column GEMM panels): there each row of the block would be cut into short runs,
// each found afresh with its bounds. Instead the source of every (tap, column) pair is found
// once, as an offset from channel 0 of the column's image (-1 for padding), and every row,
// a tap of some channel, reads its channel through the tap's offsets.
template <class T>
void im2col_through_offsets(const T* x, const ConvLoopGeometry& g, std::int64_t group, std::int64_t n0, std::int64_t q0,
                            std::int64_t rows, std::int64_t col0, std::int64_t cols, T* dst, std::int64_t ld) {
  const std::int64_t taps = g.kernel_h * g.kernel_w;
  const std::int64_t plane = g.out_h * g.out_w;
  const std::int64_t in_plane = g.in_h * g.in_w;
  std::int64_t offsets[kMaxOffsets];  // offsets[tap * cols + column]
  for (std::int64_t tap = 0; tap < taps; ++tap) {
    const std::int64_t row_offset = tap / g.kernel_w * g.dilation_h - g.pad_top;
    const std::int64_t col_offset = tap % g.kernel_w * g.dilation_w - g.pad_left;
    for (std::int64_t t = 0; t < cols; ++t) {
      const std::int64_t n = n0 + (col0 + t) / plane, e = (col0 + t) % plane;
      const std::int64_t r = e / g.out_w * g.stride_h + row_offset;
      const std::int64_t s = e % g.out_w * g.stride_w + col_offset;
      const bool inside = r >= 0 && r < g.in_h && s >= 0 && s < g.in_w;
      offsets[tap * cols + t] = inside ? n * g.in_channels * in_plane + r * g.in_w + s : -1;
    }
  }
  std::int64_t channel = group * g.cin_g() + q0 / taps;
  std::int64_t tap = q0 % taps;
  for (std::int64_t p = 0; p < rows; ++p) {
    const T* x_channel = x + channel * in_plane;
    const std::int64_t* offset = offsets + tap * cols;
    T* out = dst + p * ld;
    for (std::int64_t t = 0; t < cols; ++t) out[t] = offset[t] >= 0 ? x_channel[offset[t]] : T(0);
    if (++tap == taps) {
      tap = 0;
      ++channel;
    }
  }
}

// X_col's rows [q0, q0 + rows) over the columns [col0, col0 + cols): row p is gathered into
// row_dst(p), one output-row segment at a time, then handed to row_done(p).
template <class T, class RowDst, class RowDone>
void gather_rows(const T* x, const ConvLoopGeometry& g, std::int64_t group, std::int64_t n0, std::int64_t q0,
                 std::int64_t rows, std::int64_t col0, std::int64_t cols, RowDst&& row_dst, RowDone&& row_done) {
  const std::int64_t taps = g.kernel_h * g.kernel_w;
  const std::int64_t plane = g.out_h * g.out_w;
  // Where the columns start (the same for every row), and the first row's tap.
  const std::int64_t n_first = n0 + col0 / plane;
  const std::int64_t i_first = col0 % plane / g.out_w;
  const std::int64_t j_first = col0 % plane % g.out_w;
  std::int64_t channel = group * g.cin_g() + q0 / taps;
  std::int64_t u = q0 % taps / g.kernel_w;
  std::int64_t v = q0 % taps % g.kernel_w;
  for (std::int64_t p = 0; p < rows; ++p) {
    const std::int64_t row_offset = u * g.dilation_h - g.pad_top;
    const std::int64_t col_offset = v * g.dilation_w - g.pad_left;
    const ColumnRange live(g.out_w, g.in_w, g.stride_w, col_offset);
    // Walk the columns one output row segment at a time.
    std::int64_t n = n_first, i = i_first, j = j_first;
    T* out = row_dst(p);
    for (std::int64_t left = cols; left > 0;) {
      const std::int64_t run = std::min(left, g.out_w - j);
      const std::int64_t r = i * g.stride_h + row_offset;
      if (r >= 0 && r < g.in_h) {
        const T* x_row = x + ((n * g.in_channels + channel) * g.in_h + r) * g.in_w;
        gather_run(x_row, j, run, g.stride_w, col_offset, live, out);
      } else {
        for (std::int64_t t = 0; t < run; ++t) out[t] = T(0);
      }
      out += run;
      left -= run;
      j = 0;
      if (++i == g.out_h) {
        i = 0;
        ++n;
      }
    }
    row_done(p);
    // The next row's tap: (channel, u, v) in row-major order.
    if (++v == g.kernel_w) {
      v = 0;
      if (++u == g.kernel_h) {
        u = 0;
        ++channel;
      }
    }
  }
}

// dst[2j + v - 1] += src_v[j] for the three taps v of a kernel row 3 wide at stride 2 with
// one column of padding (ResNet's 3x3/2 downsampling), wherever 2j + v - 1 lies in
// [0, in_w): one pass over the input row where col2im_add's tap-by-tap loops make three,
// each of a few scalar stores per vector. An even column takes tap 1, an odd one tap 0 and
// then tap 2, in that order as in the three passes, so the bits are theirs.
template <class T>
void add_kernel_row_3x2(const T* src0, const T* src1, const T* src2, std::int64_t out_w, std::int64_t in_w, T* dst) {
  const ColumnRange live0(out_w, in_w, 2, -1), live1(out_w, in_w, 2, 0), live2(out_w, in_w, 2, 1);
  // Columns [0, 2 * both) take every tap that lands on them in the joint loop.
  const std::int64_t both = std::max<std::int64_t>(0, std::min({live0.end - 1, live1.end, live2.end}));
  for (std::int64_t m = 0; m < both; ++m) {
    dst[2 * m] += src1[m];
    dst[2 * m + 1] = dst[2 * m + 1] + src0[m + 1] + src2[m];
  }
  for (std::int64_t j = std::max(live0.begin, both + 1); j < live0.end; ++j) dst[2 * j - 1] += src0[j];
  for (std::int64_t j = std::max(live1.begin, both); j < live1.end; ++j) dst[2 * j] += src1[j];
  for (std::int64_t j = std::max(live2.begin, both); j < live2.end; ++j) dst[2 * j + 1] += src2[j];
}

}  // namespace

template <class T>
void im2col_block(const T* x, const ConvLoopGeometry& g, std::int64_t group, std::int64_t n0, std::int64_t q0,
                  std::int64_t rows, std::int64_t col0, std::int64_t cols, T* dst, std::int64_t ld) {
  const std::int64_t cin_g = g.cin_g();
  const std::int64_t taps = g.kernel_h * g.kernel_w;
  const std::int64_t plane = g.out_h * g.out_w;
  if (pointwise(g)) {
    // Row q of X_col is input channel q, one whole plane per image.
    for (std::int64_t p = 0; p < rows; ++p) {
      const std::int64_t channel = group * cin_g + q0 + p;
      T* out = dst + p * ld;
      for (std::int64_t col = col0, end = col0 + cols; col < end;) {
        const std::int64_t n = n0 + col / plane, e = col % plane;
        const std::int64_t run = std::min(end - col, plane - e);
        const T* src = x + (n * g.in_channels + channel) * plane + e;
        copy_short(src, run, out);
        out += run;
        col += run;
      }
    }
    return;
  }
  if (g.out_w < cols && taps * cols <= kMaxOffsets && rows >= 4 * taps) {
    im2col_through_offsets(x, g, group, n0, q0, rows, col0, cols, dst, ld);
    return;
  }
  gather_rows(
      x, g, group, n0, q0, rows, col0, cols, [&](std::int64_t p) { return dst + p * ld; }, [](std::int64_t) {});
}

template <class T>
void im2col_pack_panels(const T* x, const ConvLoopGeometry& g, std::int64_t group, std::int64_t n0, std::int64_t q0,
                        std::int64_t rows, std::int64_t col0, std::int64_t cols, T* dst, std::int64_t nr) {
  const std::int64_t panels = (cols + nr - 1) / nr;
  if (pointwise(g) || g.out_w < nr) {
    // Panel by panel: a pointwise row is a plain copy, and a panel wider than the output rows
    // spans several of them, which im2col_block reads through a table of offsets.
    for (std::int64_t s = 0; s < panels; ++s) {
      T* const panel = dst + s * rows * nr;
      const std::int64_t width = std::min(nr, cols - s * nr);
      im2col_block(x, g, group, n0, q0, rows, col0 + s * nr, width, panel, nr);
      for (std::int64_t p = 0; p < rows && width < nr; ++p)
        std::fill(panel + p * nr + width, panel + (p + 1) * nr, T(0));
    }
    return;
  }
  // Each row of X_col gathered once across all the panels into a line, then cut into them.
  // Panel by panel, a row's setup (its tap, bounds, first segment) would come once per
  // panel's few columns: a third of the GEMM path's time on ResNet's 3x3/2 downsampling, whose
  // packing takes 4.2 ms that way and 2.5 ms this way (AVX2, Zen 3). Gathered straight into
  // the panels, segment pieces cut at the panels' edges, it takes 3.6 ms.
  ScratchLease lease;
  T* const line = lease.array<T>(panels * nr);
  std::fill(line + cols, line + panels * nr, T(0));  // the last panel's columns past the block
  gather_rows(
      x, g, group, n0, q0, rows, col0, cols, [&](std::int64_t) { return line; },
      [&](std::int64_t p) {
        for (std::int64_t s = 0; s < panels; ++s) copy_short(line + s * nr, nr, dst + (s * rows + p) * nr);
      });
}

template <class T>
void col2im_add(const T* cols, std::int64_t ld, const ConvLoopGeometry& g, std::int64_t i0, std::int64_t rows,
                std::int64_t c_begin, std::int64_t c_end, T* dx_g) {
  const std::int64_t taps = g.kernel_h * g.kernel_w;
  const std::int64_t in_plane = g.in_h * g.in_w;
  const std::int64_t sw = g.stride_w;
  // ResNet's 3x3/2 downsampling: each kernel row's three taps in one pass over an input row.
  const bool fuse_kernel_rows = sw == 2 && g.kernel_w == 3 && g.dilation_w == 1 && g.pad_left == 1;
  for (std::int64_t q = c_begin * taps; q < c_end * taps; q += fuse_kernel_rows ? 3 : 1) {
    const std::int64_t u = q % taps / g.kernel_w, v = q % g.kernel_w;
    const std::int64_t row_offset = u * g.dilation_h - g.pad_top;
    const std::int64_t col_offset = v * g.dilation_w - g.pad_left;
    const ColumnRange live(g.out_w, g.in_w, sw, col_offset);
    T* const plane = dx_g + q / taps * in_plane;
    for (std::int64_t i = i0; i < i0 + rows; ++i) {
      const std::int64_t r = i * g.stride_h + row_offset;
      if (r < 0 || r >= g.in_h) continue;
      const T* src = cols + q * ld + (i - i0) * g.out_w;
      T* const dst_row = plane + r * g.in_w;
      if (fuse_kernel_rows) {  // q is the row's first tap
        add_kernel_row_3x2(src, src + ld, src + 2 * ld, g.out_w, g.in_w, dst_row);
        continue;
      }
      const std::int64_t start = col_offset;  // target column of output column 0
      // The common strides as constants, so that the loops vectorise.
      if (sw == 1) {
        for (std::int64_t j = live.begin; j < live.end; ++j) dst_row[start + j] += src[j];
      } else if (sw == 2) {
        for (std::int64_t j = live.begin; j < live.end; ++j) dst_row[start + 2 * j] += src[j];
      } else {
        for (std::int64_t j = live.begin; j < live.end; ++j) dst_row[start + j * sw] += src[j];
      }
    }
  }
}

template void col2im_add<float>(const float*, std::int64_t, const ConvLoopGeometry&, std::int64_t, std::int64_t,
                                std::int64_t, std::int64_t, float*);
template void col2im_add<double>(const double*, std::int64_t, const ConvLoopGeometry&, std::int64_t, std::int64_t,
                                 std::int64_t, std::int64_t, double*);
template void im2col_block<float>(const float*, const ConvLoopGeometry&, std::int64_t, std::int64_t, std::int64_t,
                                  std::int64_t, std::int64_t, std::int64_t, float*, std::int64_t);
template void im2col_pack_panels<float>(const float*, const ConvLoopGeometry&, std::int64_t, std::int64_t, std::int64_t,
                                        std::int64_t, std::int64_t, std::int64_t, float*, std::int64_t);
template void im2col_pack_panels<double>(const double*, const ConvLoopGeometry&, std::int64_t, std::int64_t,
                                         std::int64_t, std::int64_t, std::int64_t, std::int64_t, double*, std::int64_t);
template void im2col_block<double>(const double*, const ConvLoopGeometry&, std::int64_t, std::int64_t, std::int64_t,
                                   std::int64_t, std::int64_t, std::int64_t, double*, std::int64_t);

}  // namespace tg::kernels
