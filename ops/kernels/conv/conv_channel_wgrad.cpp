// The channel layout's weight gradient (see conv_direct.hpp): dy made pixel-major a tile's
// channels at a time, per-tap partial sums in registers, batch slices reduced in order.
#include <algorithm>
#include <vector>

#include "ops/kernels/conv/conv_direct.hpp"
#include "ops/kernels/gemm/gemm.hpp"
#include "ops/kernels/int_math.hpp"
#include "ops/kernels/scratch.hpp"
#include "tensor/parallel.hpp"

namespace tg::kernels {

namespace {

using conv_detail::direct_kernel;
using conv_detail::DirectKernel;

constexpr std::int64_t kMaxWeightGradVectors = 2;  // vectors of channels per weight-gradient tile

}  // namespace

template <class T>
bool conv2d_weight_grad_direct_channels_suit(const ConvLoopGeometry& g) {
  // Transposing dy costs one pass over it per image, and every tile loads and stores its
  // accumulators once per image; with fewer than 8 vectors' worth of taps these outweigh
  // the multiply-adds (measured: MNIST's 1->32 layer, ResNet's 1x1 downsampling). Its tiles
  // hold one vector of channels, so past 8 vectors the input is walked too many times
  // (ResNet's 256 channels: 28 against the GEMM's 20 ms).
  const std::int64_t kdim = g.kdim();
  const std::int64_t lanes = direct_kernel<T>().lanes;
  return conv2d_direct_channels_suit<T>(g) && kdim >= 8 * lanes && g.cout_g() <= 8 * lanes;
}

template <class T>
void conv2d_weight_grad_direct_channels(const T* x, const T* dy, T* dw, const ConvLoopGeometry& g) {
  if (conv2d_weight_grad_trivial(dw, g)) return;
  const DirectKernel<T>& kernel = direct_kernel<T>();
  const std::int64_t lanes = kernel.lanes;
  const std::int64_t cin_g = g.cin_g();
  const std::int64_t cout_g = g.cout_g();
  const std::int64_t kdim = g.kdim();
  const std::int64_t plane = g.out_h * g.out_w;
  const std::int64_t dw_size = g.out_channels * kdim;
  // The per-tap partial sums hold cout_g channels padded to whole vectors; dy is made
  // pixel-major one tile's vectors of channels at a time, so that it stays in cache.
  const std::int64_t padded_channels = round_up(cout_g, lanes);
  const std::int64_t sums_size = g.groups * kdim * padded_channels;
  const std::int64_t dyt_width = kMaxWeightGradVectors * lanes;
  const std::int64_t hp = conv_detail::padded_rows(g);
  const std::int64_t wp = conv_detail::padded_cols(g);
  const std::vector<std::int64_t> offsets = conv_detail::tap_offsets(g, hp, wp);
  const StridedPack<T> transpose = strided_pack<T>();
  conv_detail::reduce_over_batch_slices(dw, dw_size, g.batch, [&](std::int64_t n0, std::int64_t n1, T* out) {
    ScratchLease slice_lease;
    T* const sums = slice_lease.array<T>(sums_size + cin_g * hp * wp + plane * dyt_width);
    T* const xp = sums + sums_size;
    T* const dyt = xp + cin_g * hp * wp;
    std::fill(sums, sums + sums_size, T(0));
    for (std::int64_t n = n0; n < n1; ++n) {
      for (std::int64_t grp = 0; grp < g.groups; ++grp) {
        conv_detail::pad_planes(x, g, n, grp, hp, wp, xp);
        // Two vectors of channels a tile where there are two (each broadcast then feeds two
        // multiply-adds), else one; taps in near-equal blocks that fill the accumulators.
        for (std::int64_t c0 = 0; c0 < padded_channels;) {
          const std::int64_t nv = std::min<std::int64_t>(kMaxWeightGradVectors, (padded_channels - c0) / lanes);
          const std::int64_t width = nv * lanes, channels = std::min(width, cout_g - c0);
          // Pixel-major dy, the lanes past `channels` zero, by the GEMM's vectorised packer
          // (an element-by-element transpose took 13% of MNIST's 32 -> 64 layer on AVX-512).
          transpose(dyt, width, dy + (n * g.out_channels + grp * cout_g + c0) * plane, plane, 1, channels, plane);
          const std::int64_t tap_blocks = ceil_div(kdim, kernel.max_acc / nv);
          for (std::int64_t tb = 0; tb < tap_blocks; ++tb) {
            const std::int64_t t0 = tb * kdim / tap_blocks, t1 = (tb + 1) * kdim / tap_blocks;
            kernel.run_channels_wgrad({.xp = xp,
                                       .wp = wp,
                                       .stride_h = g.stride_h,
                                       .stride_w = g.stride_w,
                                       .tap_offsets = offsets.data() + t0,
                                       .dyt = dyt,
                                       .dyt_stride = width,
                                       .out_stride = padded_channels,
                                       .out_h = g.out_h,
                                       .out_w = g.out_w,
                                       .out = sums + (grp * kdim + t0) * padded_channels + c0},
                                      nv, t1 - t0);
          }
          c0 += width;
        }
      }
    }
    // Tap-major partial sums to dw's channel-major layout, by the same packer: channel k's
    // row of kdim taps is gathered from sums[tap][k].
    for (std::int64_t grp = 0; grp < g.groups; ++grp) {
      transpose(out + grp * cout_g * kdim, kdim, sums + grp * kdim * padded_channels, padded_channels, 1, kdim, cout_g);
    }
  });
}

#define TG_INSTANTIATE_CONV_CHANNELS_WGRAD(T)                                        \
  template bool conv2d_weight_grad_direct_channels_suit<T>(const ConvLoopGeometry&); \
  template void conv2d_weight_grad_direct_channels<T>(const T*, const T*, T*, const ConvLoopGeometry&);
TG_INSTANTIATE_CONV_CHANNELS_WGRAD(float)
TG_INSTANTIATE_CONV_CHANNELS_WGRAD(double)
#undef TG_INSTANTIATE_CONV_CHANNELS_WGRAD

}  // namespace tg::kernels
