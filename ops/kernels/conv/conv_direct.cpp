#include "ops/kernels/conv/conv_direct.hpp"

#include <algorithm>
#include <vector>

#include "ops/kernels/int_math.hpp"
#include "ops/kernels/scratch.hpp"
#include "ops/kernels/simd/simd_path.hpp"
#include "tensor/parallel.hpp"

namespace tg::kernels {

namespace {

constexpr std::int64_t kMaxVectors = 4;  // vectors of output columns per tile

}  // namespace

namespace conv_detail {

template <class T>
const DirectKernel<T>& direct_kernel() {
  return *pick_by_simd_path(&direct_portable<T>(), &direct_avx2<T>(), &direct_avx512<T>());
}

template <class T>
void pad_planes(const T* x, const ConvLoopGeometry& g, std::int64_t n, std::int64_t grp, std::int64_t hp,
                std::int64_t wp, T* xp) {
  const std::int64_t cin_g = g.cin_g();
  const auto [lo, hi] = live_padded_cols(g, wp);
  for (std::int64_t c = 0; c < cin_g; ++c) {
    const T* src = x + (n * g.in_channels + grp * cin_g + c) * g.in_h * g.in_w;
    for (std::int64_t r = 0; r < hp; ++r) {
      T* dst = xp + (c * hp + r) * wp;
      const std::int64_t sr = r - g.pad_top;
      if (sr < 0 || sr >= g.in_h) {
        std::fill(dst, dst + wp, T(0));
        continue;
      }
      std::fill(dst, dst + lo, T(0));
      std::copy(src + sr * g.in_w + (lo - g.pad_left), src + sr * g.in_w + (hi - g.pad_left), dst + lo);
      std::fill(dst + hi, dst + wp, T(0));
    }
  }
}

std::int64_t padded_rows(const ConvLoopGeometry& g) {
  return (g.out_h - 1) * g.stride_h + (g.kernel_h - 1) * g.dilation_h + 1;
}

std::pair<std::int64_t, std::int64_t> live_padded_rows(const ConvLoopGeometry& g, std::int64_t hp) {
  const std::int64_t begin = std::clamp<std::int64_t>(g.pad_top, 0, hp);
  return {begin, std::clamp<std::int64_t>(g.pad_top + g.in_h, begin, hp)};
}

std::pair<std::int64_t, std::int64_t> live_padded_cols(const ConvLoopGeometry& g, std::int64_t wp) {
  const std::int64_t begin = std::clamp<std::int64_t>(g.pad_left, 0, wp);
  return {begin, std::clamp<std::int64_t>(g.pad_left + g.in_w, begin, wp)};
}

std::int64_t padded_cols(const ConvLoopGeometry& g) {
  return (g.out_w - 1) * g.stride_w + (g.kernel_w - 1) * g.dilation_w + 1;
}

std::vector<std::int64_t> tap_offsets(const ConvLoopGeometry& g, std::int64_t hp, std::int64_t wp) {
  const std::int64_t kdim = g.kdim();
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(kdim));
  for (std::int64_t tap = 0; tap < kdim; ++tap) {
    const std::int64_t c = tap / (g.kernel_h * g.kernel_w), u = tap / g.kernel_w % g.kernel_h, v = tap % g.kernel_w;
    offsets[static_cast<std::size_t>(tap)] = (c * hp + u * g.dilation_h) * wp + v * g.dilation_w;
  }
  return offsets;
}

}  // namespace conv_detail

using conv_detail::direct_kernel;
using conv_detail::pad_planes;
using conv_detail::padded_rows;

template <class T>
bool conv2d_direct_suits(const ConvLoopGeometry& g) {
  if (g.stride_w != 1) return false;
  const std::int64_t lanes = direct_kernel<T>().lanes;
  // Share of the computed vector lanes that are real output columns.
  const double row_fill = static_cast<double>(g.out_w) / static_cast<double>(ceil_div(g.out_w, lanes) * lanes);
  const std::int64_t cout_g = g.cout_g();
  const std::int64_t kdim = g.kdim();
  return row_fill >= 0.6 && (cout_g <= 16 || kdim <= 32);
}

template <class T>
void conv2d_direct(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g) {
  if (conv2d_forward_trivial(b, y, g)) return;
  if (!dense_output(g)) {
    // The tiles store whole vectors of a row: run dense, then place the planes.
    const std::int64_t plane = g.out_h * g.out_w;
    ScratchLease lease;
    T* const dense = lease.array<T>(g.batch * g.out_channels * plane);
    conv2d_direct(x, w, b, dense, with_dense_output(g));
    parallel_for(g.batch * g.out_channels, std::max<std::int64_t>(1, 16384 / plane),
                 [&](std::int64_t begin, std::int64_t end) {
                   for (std::int64_t p = begin; p < end; ++p) {
                     store_plane(dense + p * plane, T(0), y + p * y_plane_stride(g), g);
                   }
                 });
    return;
  }
  const conv_detail::DirectKernel<T>& kernel = direct_kernel<T>();
  const std::int64_t cin_g = g.cin_g();
  const std::int64_t cout_g = g.cout_g();
  const std::int64_t kdim = g.kdim();
  const std::int64_t plane = g.out_h * g.out_w;
  // Column blocks of nv vectors; channel blocks of at most max_acc / nv channels.
  const std::int64_t nv = std::min(kMaxVectors, ceil_div(g.out_w, kernel.lanes));
  const std::int64_t block_cols = nv * kernel.lanes;
  const std::int64_t col_blocks = ceil_div(g.out_w, block_cols);
  const std::int64_t chan_blocks = ceil_div(cout_g, kernel.max_acc / nv);
  // Padded planes: every row and column any window reads, plus the last block's overhang.
  const std::int64_t hp = padded_rows(g);
  const std::int64_t wp = col_blocks * block_cols + (g.kernel_w - 1) * g.dilation_w;
  // Weights packed per channel block, tap-major ([kdim][kb]), so a tile walks one pointer:
  // block cb of group grp starts at grp * cout_g * kdim + k0 * kdim.
  ScratchLease weight_lease;
  T* const w_packed = weight_lease.array<T>(g.out_channels * kdim);
  auto block_begin = [&](std::int64_t cb) { return cb * cout_g / chan_blocks; };
  for (std::int64_t grp = 0; grp < g.groups; ++grp) {
    for (std::int64_t cb = 0; cb < chan_blocks; ++cb) {
      const std::int64_t k0 = block_begin(cb), kb = block_begin(cb + 1) - k0;
      T* dst = w_packed + (grp * cout_g + k0) * kdim;
      for (std::int64_t tap = 0; tap < kdim; ++tap) {
        for (std::int64_t k = 0; k < kb; ++k) dst[tap * kb + k] = w[(grp * cout_g + k0 + k) * kdim + tap];
      }
    }
  }
  const auto live = conv_detail::live_padded_rows(g, hp);
  conv_detail::for_each_padded_image(x, g, hp, wp, [&](std::int64_t n, std::int64_t grp, const T* xp) {
    for (std::int64_t cb = 0; cb < chan_blocks; ++cb) {
      const std::int64_t k0 = block_begin(cb);
      const std::int64_t k1 = block_begin(cb + 1);
      const std::int64_t k = grp * cout_g + k0;
      for (std::int64_t jb = 0; jb < col_blocks; ++jb) {
        const std::int64_t j0 = jb * block_cols;
        const conv_detail::DirectTile<T> tile{
            .xp = xp + j0,
            .hp = hp,
            .wp = wp,
            .live_rows_begin = live.first,
            .live_rows_end = live.second,
            .w = w_packed + k * kdim,
            .cin_g = cin_g,
            .kh = g.kernel_h,
            .kw = g.kernel_w,
            .dil_h = g.dilation_h,
            .dil_w = g.dilation_w,
            .stride_h = g.stride_h,
            .bias = b != nullptr ? b + k : nullptr,
            .y = y + (n * g.out_channels + k) * plane + j0,
            .y_plane = plane,
            .out_h = g.out_h,
            .out_w = g.out_w,
            .cols = std::min(block_cols, g.out_w - j0),
        };
        kernel.run(tile, k1 - k0, nv);
      }
    }
  });
}

template <class T>
void conv2d_weight_grad_direct(const T* x, const T* dy, T* dw, const ConvLoopGeometry& g) {
  if (conv2d_weight_grad_trivial(dw, g)) return;
  const conv_detail::DirectKernel<T>& kernel = direct_kernel<T>();
  const std::int64_t cin_g = g.cin_g();
  const std::int64_t cout_g = g.cout_g();
  const std::int64_t kdim = g.kdim();
  const std::int64_t dw_size = g.out_channels * kdim;
  // Padded planes wide enough for the last vector's overhang past the output row.
  const std::int64_t hp = padded_rows(g);
  const std::int64_t wp = round_up(g.out_w, kernel.lanes) + (g.kernel_w - 1) * g.dilation_w;
  const std::int64_t chan_blocks = ceil_div(cout_g, kernel.wgrad_kb);
  const std::int64_t tap_blocks = ceil_div(kdim, kernel.wgrad_taps);
  const std::vector<std::int64_t> tap_offsets = conv_detail::tap_offsets(g, hp, wp);
  const std::int64_t lanes = kernel.lanes;
  conv_detail::reduce_over_batch_slices(dw, dw_size, g.batch, [&](std::int64_t n0, std::int64_t n1, T* out) {
    ScratchLease slice_lease;
    T* const lane_sums = slice_lease.array<T>(dw_size * lanes + cin_g * hp * wp);
    T* const xp = lane_sums + dw_size * lanes;
    std::fill(lane_sums, lane_sums + dw_size * lanes, T(0));
    for (std::int64_t n = n0; n < n1; ++n) {
      for (std::int64_t grp = 0; grp < g.groups; ++grp) {
        pad_planes(x, g, n, grp, hp, wp, xp);
        for (std::int64_t cb = 0; cb < chan_blocks; ++cb) {
          const std::int64_t k0 = cb * cout_g / chan_blocks, kb = (cb + 1) * cout_g / chan_blocks - k0;
          for (std::int64_t tb = 0; tb < tap_blocks; ++tb) {
            const std::int64_t t0 = tb * kdim / tap_blocks, taps = (tb + 1) * kdim / tap_blocks - t0;
            kernel.run_wgrad({.xp = xp,
                              .wp = wp,
                              .stride_h = g.stride_h,
                              .tap_offsets = tap_offsets.data() + t0,
                              .dyp = dy + (n * g.out_channels + grp * cout_g + k0) * g.out_h * g.out_w,
                              .dy_plane = g.out_h * g.out_w,
                              .out_h = g.out_h,
                              .out_w = g.out_w,
                              .out = lane_sums + ((grp * cout_g + k0) * kdim + t0) * lanes,
                              .out_k_stride = kdim},
                             kb, taps);
          }
        }
      }
    }
    for (std::int64_t e = 0; e < dw_size; ++e) {
      T total = T(0);
      for (std::int64_t l = 0; l < lanes; ++l) total += lane_sums[e * lanes + l];
      out[e] = total;
    }
  });
}

template bool conv2d_direct_suits<float>(const ConvLoopGeometry&);
template bool conv2d_direct_suits<double>(const ConvLoopGeometry&);
template void conv2d_direct<float>(const float*, const float*, const float*, float*, const ConvLoopGeometry&);
template void conv2d_direct<double>(const double*, const double*, const double*, double*, const ConvLoopGeometry&);
template void conv2d_weight_grad_direct<float>(const float*, const float*, float*, const ConvLoopGeometry&);
template void conv2d_weight_grad_direct<double>(const double*, const double*, double*, const ConvLoopGeometry&);
template const conv_detail::DirectKernel<float>& conv_detail::direct_kernel<float>();
template const conv_detail::DirectKernel<double>& conv_detail::direct_kernel<double>();
template void conv_detail::pad_planes<float>(const float*, const ConvLoopGeometry&, std::int64_t, std::int64_t,
                                             std::int64_t, std::int64_t, float*);
template void conv_detail::pad_planes<double>(const double*, const ConvLoopGeometry&, std::int64_t, std::int64_t,
                                              std::int64_t, std::int64_t, double*);

}  // namespace tg::kernels
