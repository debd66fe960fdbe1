#include "ops/kernels/im2col.hpp"

#include <algorithm>

namespace tg::kernels {

namespace {

// One output row segment of tap (u, v): out[t] = x_row[(j0 + t) * stride + offset] (zero
// outside [0, width)). The in-range part [lo, hi) is found first, so the copy loop has no
// bounds checks: one contiguous copy for stride 1, a plain strided loop otherwise.
template <class T>
void gather_run(const T* x_row, std::int64_t width, std::int64_t j0, std::int64_t run, std::int64_t stride,
                std::int64_t offset, T* out) {
  const std::int64_t start = j0 * stride + offset;  // source column of t = 0
  // t >= lo  <=>  start + t * stride >= 0;  t < hi  <=>  start + t * stride < width.
  const std::int64_t lo = std::clamp<std::int64_t>(start >= 0 ? 0 : (-start + stride - 1) / stride, 0, run);
  const std::int64_t hi =
      std::clamp<std::int64_t>(width - start <= 0 ? 0 : (width - start + stride - 1) / stride, lo, run);
  std::fill(out, out + lo, T(0));
  if (stride == 1) {
    std::copy(x_row + start + lo, x_row + start + hi, out + lo);
  } else {
    for (std::int64_t t = lo; t < hi; ++t) out[t] = x_row[start + t * stride];
  }
  std::fill(out + hi, out + run, T(0));
}

}  // namespace

template <class T>
void im2col_block(const T* x, const ConvLoopGeometry& g, std::int64_t group, std::int64_t n0, std::int64_t q0,
                  std::int64_t rows, std::int64_t col0, std::int64_t cols, T* dst, std::int64_t ld) {
  const std::int64_t cin_g = g.in_channels / g.groups;
  const std::int64_t taps = g.kernel_h * g.kernel_w;
  const std::int64_t plane = g.out_h * g.out_w;
  if (taps == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 && g.pad_left == 0 && g.out_h == g.in_h &&
      g.out_w == g.in_w) {
    // A pointwise kernel: row q of X_col is input channel q, one whole plane per image.
    for (std::int64_t p = 0; p < rows; ++p) {
      const std::int64_t channel = group * cin_g + q0 + p;
      T* out = dst + p * ld;
      for (std::int64_t col = col0, end = col0 + cols; col < end;) {
        const std::int64_t n = n0 + col / plane, e = col % plane;
        const std::int64_t run = std::min(end - col, plane - e);
        const T* src = x + (n * g.in_channels + channel) * plane + e;
        std::copy(src, src + run, out);
        out += run;
        col += run;
      }
    }
    return;
  }
  for (std::int64_t p = 0; p < rows; ++p) {
    const std::int64_t q = q0 + p;
    const std::int64_t channel = group * cin_g + q / taps;
    const std::int64_t u = q % taps / g.kernel_w;
    const std::int64_t v = q % taps % g.kernel_w;
    const std::int64_t row_offset = u * g.dilation_h - g.pad_top;
    const std::int64_t col_offset = v * g.dilation_w - g.pad_left;
    // Walk the columns one output row segment at a time.
    std::int64_t n = n0 + col0 / plane;
    std::int64_t i = col0 % plane / g.out_w;
    std::int64_t j = col0 % plane % g.out_w;
    T* out = dst + p * ld;
    for (std::int64_t left = cols; left > 0;) {
      const std::int64_t run = std::min(left, g.out_w - j);
      const std::int64_t r = i * g.stride_h + row_offset;
      if (r >= 0 && r < g.in_h) {
        const T* x_row = x + ((n * g.in_channels + channel) * g.in_h + r) * g.in_w;
        gather_run(x_row, g.in_w, j, run, g.stride_w, col_offset, out);
      } else {
        std::fill(out, out + run, T(0));
      }
      out += run;
      left -= run;
      j = 0;
      if (++i == g.out_h) {
        i = 0;
        ++n;
      }
    }
  }
}

template void im2col_block<float>(const float*, const ConvLoopGeometry&, std::int64_t, std::int64_t, std::int64_t,
                                  std::int64_t, std::int64_t, std::int64_t, float*, std::int64_t);
template void im2col_block<double>(const double*, const ConvLoopGeometry&, std::int64_t, std::int64_t, std::int64_t,
                                   std::int64_t, std::int64_t, std::int64_t, double*, std::int64_t);

}  // namespace tg::kernels
