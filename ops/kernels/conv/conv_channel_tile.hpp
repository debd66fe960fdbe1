// The channel-vectorised direct-convolution tiles (see conv_direct.hpp), written once over
// the vector traits V of simd_*.hpp and compiled by each conv_direct_<isa>.cpp under its own
// target options (internal linkage, for the reason given in gemm_tile.hpp).
//
// A vector holds W output channels of one pixel, so a layer with 16 or 32 output channels
// fills every lane whatever its width; each input element is broadcast once per tap and
// feeds one multiply-add per vector of channels.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "ops/kernels/conv/conv_direct.hpp"

namespace tg::kernels::gemm_detail {
namespace {

using conv_detail::ChannelTile;
using conv_detail::ChannelWeightGradTile;

// acc[.][p] += the taps [begin, end) of `taps` for the pixels p in [PB, PE): tap k reads
// x_row + taps[k].x (x_row: the window origin of the tile's first pixel) with the weights of
// packed tap taps[k].w. One flat loop over every (input channel, kernel row, column) of the
// class, without a loop's setup per kernel row: a 3x3 kernel's rows are 3 taps long, and the
// stride phases of a strided input gradient 1 or 2 (ResNet's 3x3/2 downsampling on AVX2:
// forward 14.6 against 18.1 ms, input gradient 15.8 against 27.2, fastest of 40 alternating
// calls, with the 3-vector tiles).
//
// SW is the column stride when it is a constant (1 or 2: every ResNet layer, whose stride-2
// input gradients run their phases at stride 1), 0 for sw at run time. A constant stride
// puts each pixel's offset in its load's address instead of an address computation per
// broadcast (ResNet's stem forward about a tenth faster on a Zen 3); the AVX2 3 x 4 tile's
// loop is then 27 instructions per 12 multiply-adds, two of them loads of the tap's entry.
template <class V, int NVC, int P, int PB, int PE, int SW>
[[gnu::always_inline]] inline void class_taps(typename V::Reg (&acc)[NVC][P], const typename V::T* x_row,
                                              const typename V::T* w, const conv_detail::ChannelTap* taps,
                                              std::int64_t begin, std::int64_t end, std::int64_t sw_runtime) {
  if constexpr (PB < PE) {
    const std::int64_t sw = SW > 0 ? SW : sw_runtime;
    using Reg = typename V::Reg;
    constexpr int W = V::W;
    for (std::int64_t k = begin; k < end; ++k) {
      const typename V::T* xs = x_row + taps[k].x;
      const typename V::T* wk = w + taps[k].w * (NVC * W);
      Reg wv[NVC];
#pragma GCC unroll 4
      for (int cv = 0; cv < NVC; ++cv) wv[cv] = V::load(wk + cv * W);
#pragma GCC unroll 24
      for (int p = PB; p < PE; ++p) {
        const Reg xv = V::bcast(xs[p * sw]);
#pragma GCC unroll 4
        for (int cv = 0; cv < NVC; ++cv) acc[cv][p] = V::fma(wv[cv], xv, acc[cv][p]);
      }
    }
  }
}

// acc += every tap of one output row (see ChannelRowTaps), class by class. Tiles off the
// borders have only class 0, which takes the constant strides; the border classes run at
// the stride given.
template <class V, int NVC, int P>
[[gnu::always_inline]] inline void row_taps(typename V::Reg (&acc)[NVC][P], const typename V::T* x_row,
                                            const typename V::T* w, const conv_detail::ChannelRowTaps& row,
                                            std::int64_t sw) {
  const conv_detail::ChannelTap* taps = row.taps;
  if (sw == 1) {
    class_taps<V, NVC, P, 0, P, 1>(acc, x_row, w, taps, 0, row.ends[0], sw);
  } else if (sw == 2) {
    class_taps<V, NVC, P, 0, P, 2>(acc, x_row, w, taps, 0, row.ends[0], sw);
  } else {
    class_taps<V, NVC, P, 0, P, 0>(acc, x_row, w, taps, 0, row.ends[0], sw);
  }
  if (row.ends[0] == row.ends[3]) return;
  class_taps<V, NVC, P, 1, P, 0>(acc, x_row, w, taps, row.ends[0], row.ends[1], sw);
  class_taps<V, NVC, P, 0, P - 1, 0>(acc, x_row, w, taps, row.ends[1], row.ends[2], sw);
  class_taps<V, NVC, P, 1, P - 1, 0>(acc, x_row, w, taps, row.ends[2], row.ends[3], sw);
}

// y[k * y_plane + p] = spill[p * ls + k] for p < P and the channels k of whole transpose
// blocks (V::kTranspose of them) below `channels`: each block's P contiguous pixels per
// channel go out in a few vector stores instead of one store per value (the scatter took
// about a tenth of the time of ResNet's stem, 147 taps per output). Returns the first
// channel left to the caller.
template <class V, int P>
std::int64_t store_channel_blocks(const typename V::T* spill, std::int64_t ls, std::int64_t channels, typename V::T* y,
                                  std::int64_t y_plane) {
  constexpr int blk = V::kTranspose;
  if constexpr (blk == 1) {
    return 0;
  } else {
    std::int64_t k = 0;
    for (; k + blk <= channels; k += blk) {
      // Pixels in chunks of at most blk, each chunk one transpose of its pixel rows.
      [&]<int... C>(std::integer_sequence<int, C...>) {
        (V::template transpose_block<std::min(blk, P - C * blk)>(spill + C * blk * ls + k, ls,
                                                                 y + k * y_plane + C * blk, y_plane),
         ...);
      }
      (std::make_integer_sequence<int, (P + blk - 1) / blk>{});
    }
    return k;
  }
}

// Output columns [j0, j0 + P) of every output row, NVC vectors of channels.
template <class V, int NVC, int P>
void channel_tile(const ChannelTile<typename V::T>& t) {
  using T = typename V::T;
  using Reg = typename V::Reg;
  constexpr int W = V::W;
  constexpr int kLanes = NVC * W;
  const std::int64_t sw = t.stride_w;
  for (std::int64_t i = 0; i < t.out_h; ++i) {
    T* const partial_row = t.partial != nullptr ? t.partial + i * P * kLanes : nullptr;
    Reg acc[NVC][P];
#pragma GCC unroll 4
    for (int cv = 0; cv < NVC; ++cv) {
      const Reg init = t.bias != nullptr ? V::load(t.bias + cv * W) : V::zero();
#pragma GCC unroll 24
      for (int p = 0; p < P; ++p) acc[cv][p] = t.first_block ? init : V::load(partial_row + p * kLanes + cv * W);
    }
    row_taps<V, NVC, P>(acc, t.xp + i * t.stride_h * t.wp + t.j0 * sw, t.w, *t.rows[i], sw);
    if (!t.last_block) {  // carried to the next block of input channels
#pragma GCC unroll 24
      for (int p = 0; p < P; ++p)
#pragma GCC unroll 4
        for (int cv = 0; cv < NVC; ++cv) V::store(partial_row + p * kLanes + cv * W, acc[cv][p]);
      continue;
    }
    // Pixel-major accumulators to channel-major NCHW: spill, then scatter the real channels.
    alignas(64) T spill[P][kLanes];
#pragma GCC unroll 24
    for (int p = 0; p < P; ++p)
#pragma GCC unroll 4
      for (int cv = 0; cv < NVC; ++cv) V::store(&spill[p][cv * W], acc[cv][p]);
    T* y_row = t.y + i * t.y_row + t.j0 * t.y_col;
    std::int64_t k = 0;
    if (t.y_col == 1) k = store_channel_blocks<V, P>(&spill[0][0], kLanes, t.channels, y_row, t.y_plane);
    for (; k < t.channels; ++k) {
#pragma GCC unroll 24
      for (int p = 0; p < P; ++p) y_row[k * t.y_plane + p * t.y_col] = spill[p][k];
    }
  }
}

template <class T>
using ChannelTileFn = void (*)(const ChannelTile<T>&);

template <class V, int NVC, int MaxAcc, std::size_t... P>
constexpr std::array<ChannelTileFn<typename V::T>, sizeof...(P)> channel_row(std::index_sequence<P...>) {
  return {&channel_tile<V, NVC, static_cast<int>(P) + 1>...};
}

// Tiles by NVC = 1..4 vectors of channels and 1..MaxAcc / NVC pixels.
template <class V, int MaxAcc>
struct ChannelTable {
  template <int NVC>
  static constexpr auto tiles = channel_row<V, NVC, MaxAcc>(std::make_index_sequence<MaxAcc / NVC>{});
  static void run(const ChannelTile<typename V::T>& t, std::int64_t nvc, std::int64_t pixels) {
    const auto p = static_cast<std::size_t>(pixels - 1);
    switch (nvc) {
      case 1:
        return tiles<1>[p](t);
      case 2:
        return tiles<2>[p](t);
      case 3:
        return tiles<3>[p](t);
      default:
        return tiles<4>[p](t);
    }
  }
};

// NV vectors of channels by TB taps, over every pixel of one image:
//   out[tap * out_stride + l] += sum_{i, j} dy_t[(i * out_w + j) * dyt_stride + l] * x_tap(i, j)
// for the NV * W lanes l. Each broadcast input element feeds NV multiply-adds.
template <class V, int NV, int TB>
void channel_wgrad_tile(const ChannelWeightGradTile<typename V::T>& t) {
  using Reg = typename V::Reg;
  using T = typename V::T;
  constexpr int W = V::W;
  Reg acc[NV][TB];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v)
#pragma GCC unroll 24
    for (int q = 0; q < TB; ++q) acc[v][q] = V::load(t.out + q * t.out_stride + v * W);
  std::int64_t offsets[TB];
  for (int q = 0; q < TB; ++q) offsets[q] = t.tap_offsets[q];
  const std::int64_t sw = t.stride_w;
  for (std::int64_t i = 0; i < t.out_h; ++i) {
    const T* x_row = t.xp + i * t.stride_h * t.wp;
    const T* d_row = t.dyt + i * t.out_w * t.dyt_stride;
    for (std::int64_t j = 0; j < t.out_w; ++j) {
      Reg d[NV];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) d[v] = V::load(d_row + j * t.dyt_stride + v * W);
      const T* xs = x_row + j * sw;
#pragma GCC unroll 24
      for (int q = 0; q < TB; ++q) {
        const Reg x = V::bcast(xs[offsets[q]]);
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[v][q] = V::fma(d[v], x, acc[v][q]);
      }
    }
  }
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v)
#pragma GCC unroll 24
    for (int q = 0; q < TB; ++q) V::store(t.out + q * t.out_stride + v * W, acc[v][q]);
}

template <class T>
using ChannelWeightGradTileFn = void (*)(const ChannelWeightGradTile<T>&);

template <class V, int NV, std::size_t... Q>
constexpr std::array<ChannelWeightGradTileFn<typename V::T>, sizeof...(Q)> channel_wgrad_row(
    std::index_sequence<Q...>) {
  return {&channel_wgrad_tile<V, NV, static_cast<int>(Q) + 1>...};
}

// Tiles by NV = 1 or 2 vectors of channels and 1..MaxAcc / NV taps.
template <class V, int MaxAcc>
struct ChannelWeightGradTable {
  template <int NV>
  static constexpr auto tiles = channel_wgrad_row<V, NV>(std::make_index_sequence<MaxAcc / NV>{});
  static void run(const ChannelWeightGradTile<typename V::T>& t, std::int64_t nv, std::int64_t taps) {
    const auto q = static_cast<std::size_t>(taps - 1);
    if (nv == 1) return tiles<1>[q](t);
    return tiles<2>[q](t);
  }
};

}  // namespace
}  // namespace tg::kernels::gemm_detail
