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
using conv_detail::live_kernel_rows;
using conv_detail::LiveRows;

// acc += one kernel row's taps (kw of them, weights from w_tap) over the tile's P pixels,
// whose first tap input is x_row. With Borders, a tap whose read of the first or last pixel
// is padding skips that pixel; without, the loop carries no tests (tiles off the borders,
// and kernels without padding such as LeNet's, where the tests cost a fifth of the time).
template <class V, int NVC, int P, bool Borders>
[[gnu::always_inline]] inline void tap_row(typename V::Reg (&acc)[NVC][P], const typename V::T* x_row,
                                           const typename V::T* w_tap, const ChannelTile<typename V::T>& t) {
  using Reg = typename V::Reg;
  constexpr int W = V::W;
  for (std::int64_t q = 0; q < t.kw; ++q, w_tap += NVC * W) {
    const typename V::T* xs = x_row + q * t.dil_w;
    const bool skip_first = Borders && (q < t.first_taps.begin || q >= t.first_taps.end);
    const bool skip_last = Borders && (q < t.last_taps.begin || q >= t.last_taps.end);
    Reg wv[NVC];
#pragma GCC unroll 4
    for (int cv = 0; cv < NVC; ++cv) wv[cv] = V::load(w_tap + cv * W);
#pragma GCC unroll 24
    for (int p = 0; p < P; ++p) {
      if (Borders && ((p == 0 && skip_first) || (p == P - 1 && skip_last))) continue;  // reads padding
      const Reg xv = V::bcast(xs[p * t.stride_w]);
#pragma GCC unroll 4
      for (int cv = 0; cv < NVC; ++cv) acc[cv][p] = V::fma(wv[cv], xv, acc[cv][p]);
    }
  }
}

// acc += every tap of every input channel of the call as one loop: tap k = (c, u, q) reads
// x_row + offsets[k] (x_row: the window origin of the tile's first pixel in the block's first
// input channel) with the weights that follow tap k - 1's. It runs in the nested loops'
// order (c, then u, then q), so the bits are theirs, without a loop's setup per kernel row:
// a 3x3 kernel's rows are 3 taps long, and the stride phases of a strided input gradient 1
// or 2 (ResNet's 3x3/2 downsampling on AVX2: forward 14.6 against 18.1 ms, input gradient
// 15.8 against 27.2, fastest of 40 alternating calls, with the 3-vector tiles).
//
// SW is the column stride when it is a constant (1 or 2: every ResNet layer, whose stride-2
// input gradients run their phases at stride 1), 0 for sw at run time. A constant stride
// puts each pixel's offset in its load's address instead of an address computation per
// broadcast: the loop issues 26 instructions per 12 multiply-adds instead of 30 (AVX2, 3 x 4
// tiles; ResNet's stem forward about a tenth faster on a Zen 3).
template <class V, int NVC, int P, int SW>
[[gnu::always_inline]] inline void flat_taps(typename V::Reg (&acc)[NVC][P], const typename V::T* x_row,
                                             const typename V::T* w, const std::int64_t* offsets, std::int64_t taps,
                                             std::int64_t sw_runtime) {
  const std::int64_t sw = SW > 0 ? SW : sw_runtime;
  using Reg = typename V::Reg;
  constexpr int W = V::W;
  for (std::int64_t k = 0; k < taps; ++k, w += NVC * W) {
    const typename V::T* xs = x_row + offsets[k];
    Reg wv[NVC];
#pragma GCC unroll 4
    for (int cv = 0; cv < NVC; ++cv) wv[cv] = V::load(w + cv * W);
#pragma GCC unroll 24
    for (int p = 0; p < P; ++p) {
      const Reg xv = V::bcast(xs[p * sw]);
#pragma GCC unroll 4
      for (int cv = 0; cv < NVC; ++cv) acc[cv][p] = V::fma(wv[cv], xv, acc[cv][p]);
    }
  }
}

// The taps (c, u, q) of one call that the flat loop takes at most; their offsets live on the
// stack. An input-channel block holds about 16 KB of weights, a vector or more per tap (at
// most 512 taps and one channel's more), so only kernels of hundreds of taps go without.
constexpr std::int64_t kMaxFlatTaps = 1024;

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
  const bool first = t.c_begin == 0, last = t.c_end == t.cin_g;
  const bool borders =
      t.first_taps.begin > 0 || t.first_taps.end < t.kw || t.last_taps.begin > 0 || t.last_taps.end < t.kw;
  // Off the borders, rows whose every kernel row reads the input take the flat loop.
  const std::int64_t call_taps = (t.c_end - t.c_begin) * t.kh * t.kw;
  const bool flat = !borders && call_taps <= kMaxFlatTaps;
  std::int64_t offsets[kMaxFlatTaps];
  if (flat) {
    std::int64_t k = 0;
    for (std::int64_t c = 0; c < t.c_end - t.c_begin; ++c)
      for (std::int64_t u = 0; u < t.kh; ++u)
        for (std::int64_t q = 0; q < t.kw; ++q) offsets[k++] = (c * t.hp + u * t.dil_h) * t.wp + q * t.dil_w;
  }
  for (std::int64_t i = 0; i < t.out_h; ++i) {
    T* const partial_row = t.partial != nullptr ? t.partial + i * P * kLanes : nullptr;
    Reg acc[NVC][P];
#pragma GCC unroll 4
    for (int cv = 0; cv < NVC; ++cv) {
      const Reg init = t.bias != nullptr ? V::load(t.bias + cv * W) : V::zero();
#pragma GCC unroll 24
      for (int p = 0; p < P; ++p) acc[cv][p] = first ? init : V::load(partial_row + p * kLanes + cv * W);
    }
    const LiveRows live = live_kernel_rows(i * t.stride_h, t.kh, t.dil_h, t.live_rows_begin, t.live_rows_end);
    if (flat && live.begin == 0 && live.end == t.kh) {
      const T* x_row = t.xp + (t.c_begin * t.hp + i * t.stride_h) * t.wp + t.j0 * sw;
      if (sw == 1) {
        flat_taps<V, NVC, P, 1>(acc, x_row, t.w, offsets, call_taps, sw);
      } else if (sw == 2) {
        flat_taps<V, NVC, P, 2>(acc, x_row, t.w, offsets, call_taps, sw);
      } else {
        flat_taps<V, NVC, P, 0>(acc, x_row, t.w, offsets, call_taps, sw);
      }
    } else {
      for (std::int64_t c = t.c_begin; c < t.c_end; ++c) {
        for (std::int64_t u = live.begin; u < live.end; ++u) {
          const T* x_row = t.xp + (c * t.hp + i * t.stride_h + u * t.dil_h) * t.wp + t.j0 * sw;
          const T* w_tap = t.w + ((c - t.c_begin) * t.kh + u) * t.kw * kLanes;
          if (borders) {
            tap_row<V, NVC, P, true>(acc, x_row, w_tap, t);
          } else {
            tap_row<V, NVC, P, false>(acc, x_row, w_tap, t);
          }
        }
      }
    }
    if (!last) {  // carried to the next block of input channels
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
