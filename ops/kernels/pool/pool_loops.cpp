#include "ops/kernels/pool/pool_loops.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "ops/kernels/math/reduce.hpp"
#include "ops/kernels/pool/pool_tiled.hpp"
#include "tensor/checked_math.hpp"
#include "tensor/parallel.hpp"

// Layout of the loops: planes run in parallel in fixed chunks; within a plane, each output
// row splits into the interior columns, whose windows lie inside the input horizontally, and
// the few border columns. Interior columns need no bounds checks, so the innermost loop runs
// over output columns j (one window tap at a time) and vectorises; border columns take the
// plain per-window loop. Window taps are visited in row-major order for every output, so
// max ties and NaNs resolve exactly as in a naive scan. Max pooling whose windows tile the
// rows (2x2/2, 3x3/3, no padding) takes the SIMD kernels of pool_tiled.hpp instead.

namespace tg::kernels {

namespace {

std::int64_t grain_for(const PoolGeometry& g) {
  // Huge windows (kernel sizes come from the options) must not overflow the estimate.
  const std::int64_t work = saturating_mul(saturating_mul(g.out_h, g.out_w), saturating_mul(g.kernel_h, g.kernel_w));
  return std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(1, work));
}

// Runs body(plane) over all planes in parallel; each plane is written by one task only.
template <class F>
void for_each_plane(const PoolGeometry& g, F&& body) {
  parallel_for(g.planes, grain_for(g), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t p = begin; p < end; ++p) body(p);
  });
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Output columns [lo, hi) whose windows (all taps) lie inside [0, in_w).
struct Interior {
  std::int64_t lo = 0, hi = 0;
};

Interior interior_columns(const PoolGeometry& g) {
  const std::int64_t lo = std::min((g.pad_w + g.stride_w - 1) / g.stride_w, g.out_w);
  const std::int64_t last = floor_div(g.in_w - 1 - (g.kernel_w - 1) * g.dilation_w + g.pad_w, g.stride_w);
  return {lo, std::max(lo, std::min(last + 1, g.out_w))};
}

// Kernel rows [u0, u1) of output row i that land inside the input (a contiguous range,
// since the tap row grows with u).
struct TapRows {
  std::int64_t u0 = 0, u1 = 0;
  std::int64_t row(const PoolGeometry& g, std::int64_t i, std::int64_t u) const {
    return i * g.stride_h - g.pad_h + u * g.dilation_h;
  }
};

TapRows tap_rows(const PoolGeometry& g, std::int64_t i) {
  const std::int64_t top = i * g.stride_h - g.pad_h;
  std::int64_t u0 = top >= 0 ? 0 : (-top + g.dilation_h - 1) / g.dilation_h;
  std::int64_t u1 = top >= g.in_h ? 0 : (g.in_h - 1 - top) / g.dilation_h + 1;
  u0 = std::min(u0, g.kernel_h);
  u1 = std::clamp<std::int64_t>(u1, u0, g.kernel_h);
  return {u0, u1};
}

// The window of avg pooling (no dilation) clipped to the input, and its divisor.
struct AvgWindow {
  std::int64_t r0, r1, q0, q1;
  std::int64_t divisor;
};

AvgWindow avg_window(const PoolGeometry& g, std::int64_t i, std::int64_t j) {
  std::int64_t r0 = i * g.stride_h - g.pad_h;
  std::int64_t q0 = j * g.stride_w - g.pad_w;
  std::int64_t r1 = std::min(r0 + g.kernel_h, g.in_h + g.pad_h);
  std::int64_t q1 = std::min(q0 + g.kernel_w, g.in_w + g.pad_w);
  const std::int64_t padded_size = (r1 - r0) * (q1 - q0);
  r0 = std::max<std::int64_t>(r0, 0);
  q0 = std::max<std::int64_t>(q0, 0);
  r1 = std::min(r1, g.in_h);
  q1 = std::min(q1, g.in_w);
  const std::int64_t inside = std::max<std::int64_t>(r1 - r0, 0) * std::max<std::int64_t>(q1 - q0, 0);
  return {r0, r1, q0, q1, g.count_include_pad ? padded_size : inside};
}

// Whether `value` replaces the running maximum `best`: strictly greater keeps the first
// maximum on ties; a NaN wins and, once chosen, is never replaced.
// (Bitwise operators: no branches, so the interior loop vectorises.)
template <class T>
bool max_takes(T value, T best) {
  return (best == best) & ((value > best) | (value != value));
}

// Calls body(stride) with the stride as a compile-time constant when it is 1 or 2 (the
// common cases), so that the column loops get plain or pairwise vector loads instead of
// element-by-element gathers.
template <class F>
void with_stride(std::int64_t stride, F&& body) {
  if (stride == 1) {
    body(std::integral_constant<std::int64_t, 1>{});
  } else if (stride == 2) {
    body(std::integral_constant<std::int64_t, 2>{});
  } else {
    body(stride);
  }
}

// Interior columns are processed in blocks of this many, with block-sized scratch on the stack.
constexpr std::int64_t kColumnBlock = 256;

// One window tap folded into the running maxima of n interior columns: column j reads
// element start + j * stride of the plane. The first tap initialises. Indices are int32
// here (planes under 2^31 elements) because a float loop mixing in int64 lanes does not
// vectorise at baseline SSE2.
template <class T, class Stride>
void max_tap(const T* xp, std::int32_t start, Stride stride, std::int64_t n, bool first, T* yr, std::int32_t* index) {
  const T* xs = xp + start;
  if (first) {
    for (std::int64_t j = 0; j < n; ++j) {
      yr[j] = xs[j * stride];
      index[j] = start + static_cast<std::int32_t>(j * stride);
    }
    return;
  }
  for (std::int64_t j = 0; j < n; ++j) {
    const T value = xs[j * stride];
    const bool take = max_takes(value, yr[j]);
    yr[j] = take ? value : yr[j];
    index[j] = take ? start + static_cast<std::int32_t>(j * stride) : index[j];
  }
}

std::int64_t adaptive_start(std::int64_t i, std::int64_t in, std::int64_t out) { return (i * in) / out; }
std::int64_t adaptive_end(std::int64_t i, std::int64_t in, std::int64_t out) { return ((i + 1) * in + out - 1) / out; }

}  // namespace

template <class T>
void max_pool2d_loops(const T* x, T* y, std::int64_t* argmax, const PoolGeometry& g) {
  if (max_pool2d_tiled_applies(g)) {
    parallel_for(g.planes, grain_for(g),
                 [&](std::int64_t begin, std::int64_t end) { max_pool2d_tiled_planes(x, y, argmax, g, begin, end); });
    return;
  }
  const Interior mid = interior_columns(g);
  const bool narrow_indices = g.in_h * g.in_w <= std::numeric_limits<std::int32_t>::max();
  for_each_plane(g, [&](std::int64_t p) {
    const T* xp = x + p * g.in_h * g.in_w;
    for (std::int64_t i = 0; i < g.out_h; ++i) {
      T* yr = y + (p * g.out_h + i) * g.out_w;
      std::int64_t* ar = argmax + (p * g.out_h + i) * g.out_w;
      const TapRows rows = tap_rows(g, i);
      // Border columns (and every column of a row with no tap inside): clipped windows.
      const auto clipped = [&](std::int64_t j) {
        T best = -std::numeric_limits<T>::infinity();
        std::int64_t best_index = -1;
        for (std::int64_t u = rows.u0; u < rows.u1; ++u) {
          const std::int64_t r = rows.row(g, i, u);
          for (std::int64_t v = 0; v < g.kernel_w; ++v) {
            const std::int64_t q = j * g.stride_w - g.pad_w + v * g.dilation_w;
            if (q < 0 || q >= g.in_w) continue;
            const T value = xp[r * g.in_w + q];
            if (best_index < 0 || max_takes(value, best)) {
              best = value;
              best_index = r * g.in_w + q;
            }
          }
        }
        yr[j] = best;
        ar[j] = best_index;
      };
      const bool has_interior = rows.u0 < rows.u1 && mid.lo < mid.hi && narrow_indices;
      for (std::int64_t j = 0; j < (has_interior ? mid.lo : g.out_w); ++j) clipped(j);
      if (!has_interior) continue;
      for (std::int64_t j = mid.hi; j < g.out_w; ++j) clipped(j);
      // Interior: one tap at a time over a block of columns.
      for (std::int64_t j0 = mid.lo; j0 < mid.hi; j0 += kColumnBlock) {
        const std::int64_t n = std::min(kColumnBlock, mid.hi - j0);
        std::int32_t index[kColumnBlock];
        with_stride(g.stride_w, [&](auto stride) {
          for (std::int64_t u = rows.u0; u < rows.u1; ++u) {
            for (std::int64_t v = 0; v < g.kernel_w; ++v) {
              const std::int64_t start = rows.row(g, i, u) * g.in_w - g.pad_w + v * g.dilation_w + j0 * g.stride_w;
              max_tap(xp, static_cast<std::int32_t>(start), stride, n, u == rows.u0 && v == 0, yr + j0, index);
            }
          }
        });
        for (std::int64_t j = 0; j < n; ++j) ar[j0 + j] = index[j];
      }
    }
  });
}

template <class T>
void max_pool2d_scatter_loops(const T* dy, const std::int64_t* argmax, T* dx, const PoolGeometry& g) {
  const std::int64_t plane_in = g.in_h * g.in_w, plane_out = g.out_h * g.out_w;
  // Captured by value: with references, the compiler reloads the pointers after every store
  // to dx (it cannot rule out that the store changed them).
  for_each_plane(g, [dy, argmax, dx, plane_in, plane_out](std::int64_t p) {
    T* dxp = dx + p * plane_in;
    const T* dyp = dy + p * plane_out;
    const std::int64_t* ap = argmax + p * plane_out;
    std::fill(dxp, dxp + plane_in, T(0));
    for (std::int64_t o = 0; o < plane_out; ++o) {
      const auto index = static_cast<std::uint64_t>(ap[o]);  // -1 wraps around: one compare
      if (index < static_cast<std::uint64_t>(plane_in)) dxp[index] += dyp[o];
    }
  });
}

std::int64_t find_bad_plane_index(const std::int64_t* indices, std::int64_t n, std::int64_t plane_size) {
  // Blocks are first screened by a loop without branches or 64-bit compares (which baseline
  // SSE2 lacks), so that it vectorises: with u = index + 1 (unsigned), the index is valid iff
  // u <= plane_size, iff neither u nor plane_size - u has its top bit set (for u < 2^63,
  // plane_size - u wraps around to a top bit exactly when u > plane_size).
  constexpr std::int64_t kBlock = 1024;
  const auto limit = static_cast<std::uint64_t>(plane_size);
  for (std::int64_t b = 0; b < n; b += kBlock) {
    const std::int64_t e = std::min(n, b + kBlock);
    std::uint64_t flags = 0;
    for (std::int64_t i = b; i < e; ++i) {
      const std::uint64_t u = static_cast<std::uint64_t>(indices[i]) + 1;
      flags |= u | (limit - u);
    }
    if ((flags >> 63) == 0) continue;
    for (std::int64_t i = b; i < e; ++i) {
      if (indices[i] < -1 || indices[i] >= plane_size) return i;
    }
  }
  return -1;
}

template <class T>
void max_pool2d_select_loops(const T* x, const std::int64_t* indices, T* y, std::int64_t planes, std::int64_t plane_in,
                             std::int64_t plane_out) {
  parallel_for(planes, std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(1, plane_out)),
               [&](std::int64_t begin, std::int64_t end) {
                 for (std::int64_t p = begin; p < end; ++p) {
                   const T* xp = x + p * plane_in;
                   for (std::int64_t o = p * plane_out; o < (p + 1) * plane_out; ++o) {
                     y[o] = indices[o] >= 0 ? xp[indices[o]] : T(0);
                   }
                 }
               });
}

template <class T>
void avg_pool2d_loops(const T* x, T* y, const PoolGeometry& g) {
  const Interior mid = interior_columns(g);
  for_each_plane(g, [&](std::int64_t p) {
    const T* xp = x + p * g.in_h * g.in_w;
    for (std::int64_t i = 0; i < g.out_h; ++i) {
      T* yr = y + (p * g.out_h + i) * g.out_w;
      const auto clipped = [&](std::int64_t j) {
        const AvgWindow w = avg_window(g, i, j);
        T acc = T(0);
        for (std::int64_t r = w.r0; r < w.r1; ++r) {
          for (std::int64_t q = w.q0; q < w.q1; ++q) acc += xp[r * g.in_w + q];
        }
        yr[j] = w.divisor > 0 ? acc / static_cast<T>(w.divisor) : T(0);
      };
      for (std::int64_t j = 0; j < mid.lo; ++j) clipped(j);
      for (std::int64_t j = mid.hi; j < g.out_w; ++j) clipped(j);
      if (mid.lo == mid.hi) continue;
      // Interior windows share their rows and their divisor (the full kernel width).
      const AvgWindow w = avg_window(g, i, mid.lo);
      std::fill(yr + mid.lo, yr + mid.hi, T(0));
      with_stride(g.stride_w, [&](auto stride) {
        for (std::int64_t r = w.r0; r < w.r1; ++r) {
          for (std::int64_t v = 0; v < g.kernel_w; ++v) {
            const T* xs = xp + r * g.in_w - g.pad_w + v;
            for (std::int64_t j = mid.lo; j < mid.hi; ++j) yr[j] += xs[j * stride];
          }
        }
      });
      const T divisor = static_cast<T>(w.divisor);
      for (std::int64_t j = mid.lo; j < mid.hi; ++j) yr[j] = w.divisor > 0 ? yr[j] / divisor : T(0);
    }
  });
}

template <class T>
void avg_pool2d_backward_loops(const T* dy, T* dx, const PoolGeometry& g) {
  const Interior mid = interior_columns(g);
  for_each_plane(g, [&](std::int64_t p) {
    T* dxp = dx + p * g.in_h * g.in_w;
    std::fill(dxp, dxp + g.in_h * g.in_w, T(0));
    for (std::int64_t i = 0; i < g.out_h; ++i) {
      const T* dyr = dy + (p * g.out_h + i) * g.out_w;
      const auto clipped = [&](std::int64_t j) {
        const AvgWindow w = avg_window(g, i, j);
        if (w.divisor <= 0) return;
        const T share = dyr[j] / static_cast<T>(w.divisor);
        for (std::int64_t r = w.r0; r < w.r1; ++r) {
          for (std::int64_t q = w.q0; q < w.q1; ++q) dxp[r * g.in_w + q] += share;
        }
      };
      for (std::int64_t j = 0; j < mid.lo; ++j) clipped(j);
      for (std::int64_t j = mid.hi; j < g.out_w; ++j) clipped(j);
      if (mid.lo == mid.hi) continue;
      const AvgWindow w = avg_window(g, i, mid.lo);
      if (w.divisor <= 0) continue;
      const T divisor = static_cast<T>(w.divisor);
      for (std::int64_t j0 = mid.lo; j0 < mid.hi; j0 += kColumnBlock) {
        const std::int64_t n = std::min(kColumnBlock, mid.hi - j0);
        T share[kColumnBlock];
        for (std::int64_t j = 0; j < n; ++j) share[j] = dyr[j0 + j] / divisor;
        with_stride(g.stride_w, [&](auto stride) {
          for (std::int64_t r = w.r0; r < w.r1; ++r) {
            for (std::int64_t v = 0; v < g.kernel_w; ++v) {
              T* ds = dxp + r * g.in_w - g.pad_w + v + j0 * g.stride_w;
              for (std::int64_t j = 0; j < n; ++j) ds[j * stride] += share[j];
            }
          }
        });
      }
    }
  });
}

template <class T>
void adaptive_avg_pool2d_loops(const T* x, T* y, const PoolGeometry& g) {
  for_each_plane(g, [&](std::int64_t p) {
    const T* xp = x + p * g.in_h * g.in_w;
    for (std::int64_t i = 0; i < g.out_h; ++i) {
      const std::int64_t r0 = adaptive_start(i, g.in_h, g.out_h), r1 = adaptive_end(i, g.in_h, g.out_h);
      for (std::int64_t j = 0; j < g.out_w; ++j) {
        const std::int64_t q0 = adaptive_start(j, g.in_w, g.out_w), q1 = adaptive_end(j, g.in_w, g.out_w);
        T acc = T(0);
        if (q0 == 0 && q1 == g.in_w) {
          acc = block_sum(xp + r0 * g.in_w, (r1 - r0) * g.in_w);  // whole rows: one contiguous run
        } else {
          for (std::int64_t r = r0; r < r1; ++r) acc += block_sum(xp + r * g.in_w + q0, q1 - q0);
        }
        y[(p * g.out_h + i) * g.out_w + j] = acc / static_cast<T>((r1 - r0) * (q1 - q0));
      }
    }
  });
}

template <class T>
void adaptive_avg_pool2d_backward_loops(const T* dy, T* dx, const PoolGeometry& g) {
  for_each_plane(g, [&](std::int64_t p) {
    T* dxp = dx + p * g.in_h * g.in_w;
    std::fill(dxp, dxp + g.in_h * g.in_w, T(0));
    for (std::int64_t i = 0; i < g.out_h; ++i) {
      const std::int64_t r0 = adaptive_start(i, g.in_h, g.out_h), r1 = adaptive_end(i, g.in_h, g.out_h);
      for (std::int64_t j = 0; j < g.out_w; ++j) {
        const std::int64_t q0 = adaptive_start(j, g.in_w, g.out_w), q1 = adaptive_end(j, g.in_w, g.out_w);
        const T share = dy[(p * g.out_h + i) * g.out_w + j] / static_cast<T>((r1 - r0) * (q1 - q0));
        for (std::int64_t r = r0; r < r1; ++r) {
          T* d = dxp + r * g.in_w;
          for (std::int64_t q = q0; q < q1; ++q) d[q] += share;
        }
      }
    }
  });
}

#define TG_INSTANTIATE_POOL(T)                                                                            \
  template void max_pool2d_loops<T>(const T*, T*, std::int64_t*, const PoolGeometry&);                    \
  template void max_pool2d_scatter_loops<T>(const T*, const std::int64_t*, T*, const PoolGeometry&);      \
  template void max_pool2d_select_loops<T>(const T*, const std::int64_t*, T*, std::int64_t, std::int64_t, \
                                           std::int64_t);                                                 \
  template void avg_pool2d_loops<T>(const T*, T*, const PoolGeometry&);                                   \
  template void avg_pool2d_backward_loops<T>(const T*, T*, const PoolGeometry&);                          \
  template void adaptive_avg_pool2d_loops<T>(const T*, T*, const PoolGeometry&);                          \
  template void adaptive_avg_pool2d_backward_loops<T>(const T*, T*, const PoolGeometry&);
TG_INSTANTIATE_POOL(float)
TG_INSTANTIATE_POOL(double)
#undef TG_INSTANTIATE_POOL

}  // namespace tg::kernels
