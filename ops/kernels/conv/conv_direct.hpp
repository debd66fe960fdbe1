// Direct convolution: the fast path for layers the packed GEMM serves badly (few output
// channels, a GEMM row tile being 6-8 channels wide; short kernels, where im2col packing
// costs more than the multiply-adds; small planes). Two register-tiled layouts:
//
//   rows      vectors along output rows: one vector load of the input feeds one
//             multiply-add per output channel of the block. Suits few channels and rows
//             that fill a vector (LeNet's 1->6 layer, the 1- and 6-channel ROT180 input
//             gradients of LeNet's layers).
//   channels  vectors across output channels: each input element is broadcast and feeds one
//             multiply-add per vector of channels, and taps that read padding are skipped.
//             Suits 12-128 channels (256 on wide rows, 512 on AVX-512 for kernels wider than
//             1x1) that fill their vectors better than the output rows do (LeNet's 6->16
//             layer on 10-wide rows, 32->64 on 14x14, ResNet's 3x3 layers).
//
// Each task pads one image's group of input planes into scratch (zeros around, so the inner
// loops have no bounds checks) and keeps the accumulators of a tile in registers.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "ops/kernels/conv/conv_reference_loops.hpp"
#include "ops/kernels/conv/conv_weights.hpp"
#include "ops/kernels/scratch.hpp"
#include "tensor/parallel.hpp"

namespace tg::kernels {

// True when conv2d_fast takes the direct path for this geometry (on the current SIMD path):
// unit column stride, rows that fill most of a vector, and few channels or a short kernel.
template <class T>
bool conv2d_direct_suits(const ConvLoopGeometry& g);

// y = conv2d(x, w, b) by the direct path; requires stride_w == 1.
template <class T>
void conv2d_direct(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g);

// dw = the weight gradient by the direct path (same conditions): for each block of output
// channels and kernel taps, vector products of dy rows with input rows accumulate in
// registers and are summed across lanes once per image. Images are reduced over a fixed
// partition in a fixed order.
template <class T>
void conv2d_weight_grad_direct(const T* x, const T* dy, T* dw, const ConvLoopGeometry& g);

// The channel layout (any stride). Which layout conv2d_fast takes is decided by
// conv2d_direct_channels_suit.
template <class T>
bool conv2d_direct_channels_suit(const ConvLoopGeometry& g);
template <class T>
bool conv2d_weight_grad_direct_channels_suit(const ConvLoopGeometry& g);

template <class T>
void conv2d_direct_channels(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g);
// The same with the weights as a ConvWeights (the input gradient's rotated kernel read in place).
template <class T>
void conv2d_direct_channels(const T* x, ConvWeights<T> weights, const T* b, T* y, const ConvLoopGeometry& g);

// dw by the channel layout: dy is transposed per image to pixel-major [pixel][channel], then
// for each vector of channels and block of kernel taps, dy vectors times broadcast inputs
// accumulate over the image in registers. Images are reduced over a fixed partition in a
// fixed order.
template <class T>
void conv2d_weight_grad_direct_channels(const T* x, const T* dy, T* dw, const ConvLoopGeometry& g);

namespace conv_detail {

// Kernel rows [begin, end) that read real input, not padding, for the output row whose
// window starts at padded row `top`: rows [live_begin, live_end) of the padded planes hold
// the input. Skipping the rest skips only products with zero (the input gradient's full
// correlation reads mostly padding near the borders).
struct LiveRows {
  std::int64_t begin, end;
  bool operator==(const LiveRows&) const = default;
};
inline LiveRows live_kernel_rows(std::int64_t top, std::int64_t kh, std::int64_t dil_h, std::int64_t live_begin,
                                 std::int64_t live_end) {
  const auto rows_below = [&](std::int64_t limit) {  // kernel rows u < kh with top + u * dil_h < limit
    return limit <= top ? 0 : std::min(kh, (limit - top + dil_h - 1) / dil_h);
  };
  const std::int64_t begin = rows_below(live_begin);
  return {begin, std::max(begin, rows_below(live_end))};
}

// One register tile: output channels [k0, k0 + kb) of one image, columns [j0, j0 + nv*W)
// of every output row (only `cols` of them stored).
template <class T>
struct DirectTile {
  const T* xp;  // padded input planes of the group, [cin_g][hp][wp], at column j0
  std::int64_t hp, wp;
  std::int64_t live_rows_begin, live_rows_end;  // padded rows that hold the input
  const T* w;  // weights of channels [k0, k0 + kb), packed tap-major: [cin_g][kh][kw][kb]
  std::int64_t cin_g, kh, kw, dil_h, dil_w, stride_h;
  const T* bias;  // bias of channel k0 (kb values), or null
  T* y;           // output of channel k0 at row 0, column j0
  std::int64_t y_plane, out_h, out_w, cols;
};

// One weight-gradient register tile: channels [k0, k0 + kb) by `taps` kernel taps, over one
// image, accumulated lane-wise: for each lane l,
//   out[(k * out_k_stride + t) * W + l] += sum_{i, j = l mod W} dy[k0 + k, i, j] * x_tap_t(i, j).
// Lanes are summed once, after the last image.
template <class T>
struct WeightGradTile {
  const T* xp;  // padded input planes of the group (as DirectTile, column 0)
  std::int64_t wp, stride_h;
  const std::int64_t* tap_offsets;  // offset in xp of each tap's window origin
  const T* dyp;                     // dy of channel k0 (image n), out_h x out_w
  std::int64_t dy_plane, out_h, out_w;
  T* out;                     // vector partial sums of channel k0, first tap
  std::int64_t out_k_stride;  // in vectors
};

// One tap (c, u, q) of a channel-layout tile's row: the offset of its input from the
// window origin of the tile's first pixel, and its index among the packed weights' taps.
struct ChannelTap {
  std::int64_t x, w;
};

// The taps one output row of a channel-layout tile sums, sorted by which of the tile's
// pixels read the input there, not padding: taps[0, ends[0]) are read by every pixel,
// [ends[0], ends[1]) by all but the first, [ends[1], ends[2]) by all but the last,
// [ends[2], ends[3]) by neither end. Only the first and last pixel skip padding, and
// kernel rows that read only padding are left out for every pixel (live_kernel_rows).
// Each class keeps the order (c, u, q), so an output's sum runs over its class-0 taps,
// then the others: the order comes from the shape alone.
struct ChannelRowTaps {
  const ChannelTap* taps;
  std::array<std::int64_t, 4> ends;
};

// One channel-layout tile: `channels` output channels (<= nvc vectors) of one image, output
// columns [j0, j0 + pixels) of every output row.
template <class T>
struct ChannelTile {
  const T* xp;  // padded input planes of the group, [cin_g][hp][wp]
  std::int64_t wp, stride_h, stride_w;
  const ChannelRowTaps* const* rows;  // rows[i]: the taps of output row i
  bool first_block, last_block;       // the call sums the first / the last input channels
  const T* w;                         // weights of the call's input channels, [tap][nvc * W], zero past `channels`
  const T* bias;                      // nvc * W bias values, or null
  // Sums over earlier input channels, pixel-major [out_h][pixels][nvc * W]: read unless
  // first_block, written instead of y unless last_block (null when one call sums all).
  T* partial;
  T* y;                                // output of the block's first channel, row 0, column 0
  std::int64_t y_plane, y_row, y_col;  // output layout (see ConvLoopGeometry)
  std::int64_t out_h, j0, channels;
};

// One channel-layout weight-gradient tile: nv vectors of channels by `taps` kernel taps,
// over one image: out[q * out_stride + l] += sum over pixels of dyt[pixel][l] * x_tap_q(pixel).
template <class T>
struct ChannelWeightGradTile {
  const T* xp;  // padded input planes of the group (as ChannelTile)
  std::int64_t wp, stride_h, stride_w;
  const std::int64_t* tap_offsets;  // offset in xp of each tap's window origin
  const T* dyt;                     // dy of the image, pixel-major, at the vector's first channel
  std::int64_t dyt_stride;          // elements per pixel in dyt
  std::int64_t out_stride;          // elements per tap in out
  std::int64_t out_h, out_w;
  T* out;  // partial sums, at the first tap and the vector's first channel
};

template <class T>
struct DirectKernel {
  std::int64_t lanes;    // W: elements per vector
  std::int64_t max_acc;  // accumulator registers: kb * nv <= max_acc
  void (*run)(const DirectTile<T>& tile, std::int64_t kb, std::int64_t nv);
  std::int64_t wgrad_kb, wgrad_taps;  // largest weight-gradient tile
  void (*run_wgrad)(const WeightGradTile<T>& tile, std::int64_t kb, std::int64_t taps);
  // Channel layout: nvc <= channel_vectors vectors of channels by `pixels` columns,
  // nvc * pixels <= max_acc; weight gradient: nv <= 2 vectors of channels by taps,
  // nv * taps <= max_acc.
  std::int64_t channel_vectors;
  void (*run_channels)(const ChannelTile<T>& tile, std::int64_t nvc, std::int64_t pixels);
  void (*run_channels_wgrad)(const ChannelWeightGradTile<T>& tile, std::int64_t nv, std::int64_t taps);
};

// The kernel set of the current SIMD path.
template <class T>
const DirectKernel<T>& direct_kernel();

// The input planes of image n, group grp, zero-padded to hp x wp: padded (r, t) holds
// x[r - pad_top, t - pad_left] where that exists (pads may be negative: a crop).
template <class T>
void pad_planes(const T* x, const ConvLoopGeometry& g, std::int64_t n, std::int64_t grp, std::int64_t hp,
                std::int64_t wp, T* xp);

// Rows / columns of the padded planes every window reads.
std::int64_t padded_rows(const ConvLoopGeometry& g);
// The padded rows [first, second) that hold the input (pad_planes' layout, hp rows).
std::pair<std::int64_t, std::int64_t> live_padded_rows(const ConvLoopGeometry& g, std::int64_t hp);
std::int64_t padded_cols(const ConvLoopGeometry& g);
// The padded columns [first, second) that hold the input (pad_planes' layout, wp columns).
std::pair<std::int64_t, std::int64_t> live_padded_cols(const ConvLoopGeometry& g, std::int64_t wp);

// Offset in the padded planes (hp x wp each) of the window origin of every kernel tap
// (c, u, v), in the weight order.
std::vector<std::int64_t> tap_offsets(const ConvLoopGeometry& g, std::int64_t hp, std::int64_t wp);

// Runs body(n, grp, xp) for every image n and group grp, in parallel over fixed chunks of
// tasks, with xp the task's input planes padded to hp x wp (pad_planes) in thread scratch.
template <class T, class Body>
void for_each_padded_image(const T* x, const ConvLoopGeometry& g, std::int64_t hp, std::int64_t wp, Body&& body) {
  const std::int64_t cin_g = g.cin_g();
  const std::int64_t work = g.out_h * g.out_w * g.cout_g() * g.kdim();
  parallel_for(g.batch * g.groups, std::max<std::int64_t>(1, 65536 / std::max<std::int64_t>(work, 1)),
               [&](std::int64_t begin, std::int64_t end) {
                 ScratchLease lease;
                 T* const xp = lease.array<T>(cin_g * hp * wp);
                 for (std::int64_t task = begin; task < end; ++task) {
                   const std::int64_t n = task / g.groups, grp = task % g.groups;
                   pad_planes(x, g, n, grp, hp, wp, xp);
                   body(n, grp, static_cast<const T*>(xp));
                 }
               });
}

// dw += the (count) partial sums of `size` elements stored one after another, in order.
template <class T>
void add_partial_sums(T* dw, const T* partials, std::int64_t count, std::int64_t size) {
  for (std::int64_t s = 0; s < count; ++s) {
    const T* part = partials + s * size;
    for (std::int64_t e = 0; e < size; ++e) dw[e] += part[e];
  }
}

// The weight gradient's batch reduction: the batch in a fixed number of slices (by shape
// only), each summed by one task, slice 0 into dw and the others into partial buffers that
// are then added in slice order, so the result does not depend on the thread count.
// slice_sum(n_begin, n_end, out) writes the sum over images [n_begin, n_end) to out.
// 8 slices for a small dw; 4 or 2 for a large one, whose per-slice cost (zeroing, reordering
// and adding a dw-sized buffer) would otherwise rival the work of an image (ResNet's 128
// channels, with one image a slice: 13% of the time). Powers of two share out evenly over
// 2 threads.
template <class T, class SliceSum>
void reduce_over_batch_slices(T* dw, std::int64_t dw_size, std::int64_t batch, SliceSum&& slice_sum) {
  if (batch == 0) {  // a sum over no images; min(batch, slices) would be no slice at all
    std::fill(dw, dw + dw_size, T(0));
    return;
  }
  constexpr std::int64_t kMaxSlices = 8, kSlicedElements = 1 << 17;
  std::int64_t slices = kMaxSlices;
  while (slices > 2 && slices * dw_size > kSlicedElements) slices /= 2;
  slices = std::min(batch, slices);
  ScratchLease lease;
  T* const partials = lease.array<T>((slices - 1) * dw_size);
  parallel_for(slices, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t s = begin; s < end; ++s) {
      slice_sum(s * batch / slices, (s + 1) * batch / slices, s == 0 ? dw : partials + (s - 1) * dw_size);
    }
  });
  add_partial_sums(dw, partials, slices - 1, dw_size);
}

template <class T>
const DirectKernel<T>& direct_portable();
template <class T>
const DirectKernel<T>& direct_avx2();
template <class T>
const DirectKernel<T>& direct_avx512();

}  // namespace conv_detail
}  // namespace tg::kernels
