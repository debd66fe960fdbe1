// The direct-convolution register tile, written once over the vector traits V of
// simd_*.hpp and compiled by each conv_direct_<isa>.cpp under its own target options
// (internal linkage, for the reason given in gemm_tile.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <utility>

#include "ops/kernels/conv/conv_channel_tile.hpp"
#include "ops/kernels/conv/conv_direct.hpp"

namespace tg::kernels::gemm_detail {
namespace {

using conv_detail::DirectTile;
using conv_detail::live_kernel_rows;
using conv_detail::LiveRows;

// Keeps a loaded vector in its register. GCC otherwise folds a load that feeds several
// multiply-adds into each of them as a memory operand, repeating it (an unaligned vector
// load that splits cache lines, in the tiles below) once per use. ("v": any vector register;
// GCC and clang both take it for the register widths the enclosing ISA region enables.)
template <class V>
void pin_register(typename V::Reg& r) {
  if constexpr (V::W > 1) asm("" : "+v"(r));
}

template <class V, int KB, int NV>
void direct_tile(const DirectTile<typename V::T>& t) {
  using T = typename V::T;
  using Reg = typename V::Reg;
  constexpr int W = V::W;
  for (std::int64_t i = 0; i < t.out_h; ++i) {
    Reg acc[KB][NV];
#pragma GCC unroll 24
    for (int k = 0; k < KB; ++k) {
      const Reg init = t.bias != nullptr ? V::bcast(t.bias[k]) : V::zero();
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[k][v] = init;
    }
    const LiveRows live = live_kernel_rows(i * t.stride_h, t.kh, t.dil_h, t.live_rows_begin, t.live_rows_end);
    for (std::int64_t c = 0; c < t.cin_g; ++c) {
      for (std::int64_t u = live.begin; u < live.end; ++u) {
        const T* x_row = t.xp + (c * t.hp + i * t.stride_h + u * t.dil_h) * t.wp;
        const T* w_tap = t.w + (c * t.kh + u) * t.kw * KB;
        for (std::int64_t q = 0; q < t.kw; ++q, w_tap += KB) {
          Reg xv[NV];
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) xv[v] = V::load(x_row + q * t.dil_w + v * W);
#pragma GCC unroll 24
          for (int k = 0; k < KB; ++k) {
            const Reg wk = V::bcast(w_tap[k]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) acc[k][v] = V::fma(wk, xv[v], acc[k][v]);
          }
        }
      }
    }
    T* y_row = t.y + i * t.out_w;
    if (t.cols == NV * W) {
#pragma GCC unroll 24
      for (int k = 0; k < KB; ++k)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) V::store(y_row + k * t.y_plane + v * W, acc[k][v]);
    } else {
      // Right edge: whole vectors, then the valid lanes of the partial one.
#pragma GCC unroll 24
      for (int k = 0; k < KB; ++k) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          const std::int64_t left = t.cols - v * W;
          if (left >= W) {
            V::store(y_row + k * t.y_plane + v * W, acc[k][v]);
          } else if (left > 0) {
            V::store_first(y_row + k * t.y_plane + v * W, acc[k][v], left);
          }
        }
      }
    }
  }
}

template <class T>
using DirectTileFn = void (*)(const DirectTile<T>&);

template <class V, int KB, int NV, int MaxAcc>
constexpr DirectTileFn<typename V::T> direct_entry() {
  if constexpr (KB * NV <= MaxAcc) {
    return &direct_tile<V, KB, NV>;
  } else {
    return nullptr;
  }
}

template <class V, int NV, int MaxAcc, std::size_t... K>
constexpr std::array<DirectTileFn<typename V::T>, sizeof...(K)> direct_row(std::index_sequence<K...>) {
  return {direct_entry<V, static_cast<int>(K) + 1, NV, MaxAcc>()...};
}

// table[nv - 1][kb - 1] for nv <= 4 and kb * nv <= MaxAcc.
template <class V, int MaxAcc>
struct DirectTable {
  static constexpr std::array<std::array<DirectTileFn<typename V::T>, MaxAcc>, 4> table = {
      direct_row<V, 1, MaxAcc>(std::make_index_sequence<MaxAcc>{}),
      direct_row<V, 2, MaxAcc>(std::make_index_sequence<MaxAcc>{}),
      direct_row<V, 3, MaxAcc>(std::make_index_sequence<MaxAcc>{}),
      direct_row<V, 4, MaxAcc>(std::make_index_sequence<MaxAcc>{}),
  };
  static void run(const DirectTile<typename V::T>& t, std::int64_t kb, std::int64_t nv) {
    table[static_cast<std::size_t>(nv - 1)][static_cast<std::size_t>(kb - 1)](t);
  }
};

using conv_detail::WeightGradTile;

template <class V, int KB, int TB>
void wgrad_tile(const WeightGradTile<typename V::T>& t) {
  using T = typename V::T;
  using Reg = typename V::Reg;
  constexpr int W = V::W;
  Reg acc[KB][TB];
#pragma GCC unroll 8
  for (int k = 0; k < KB; ++k)
#pragma GCC unroll 8
    for (int q = 0; q < TB; ++q) acc[k][q] = V::load(t.out + (k * t.out_k_stride + q) * W);
  std::int64_t offsets[TB];
  for (int q = 0; q < TB; ++q) offsets[q] = t.tap_offsets[q];
  for (std::int64_t i = 0; i < t.out_h; ++i) {
    for (std::int64_t j = 0; j < t.out_w; j += W) {
      // dy is read in place; lanes past the row's end load as zero, so the input columns
      // they meet (inside the padded planes) add nothing.
      const T* dy_at = t.dyp + i * t.out_w + j;
      Reg d[KB];
      if (j + W <= t.out_w) {
#pragma GCC unroll 8
        for (int k = 0; k < KB; ++k) d[k] = V::load(dy_at + k * t.dy_plane);
      } else {
#pragma GCC unroll 8
        for (int k = 0; k < KB; ++k) d[k] = V::load_first(dy_at + k * t.dy_plane, t.out_w - j);
      }
      const T* x_base = t.xp + i * t.stride_h * t.wp + j;
#pragma GCC unroll 8
      for (int q = 0; q < TB; ++q) {
        Reg xv = V::load(x_base + offsets[q]);
        pin_register<V>(xv);
#pragma GCC unroll 8
        for (int k = 0; k < KB; ++k) acc[k][q] = V::fma(d[k], xv, acc[k][q]);
      }
    }
  }
#pragma GCC unroll 8
  for (int k = 0; k < KB; ++k)
#pragma GCC unroll 8
    for (int q = 0; q < TB; ++q) V::store(t.out + (k * t.out_k_stride + q) * W, acc[k][q]);
}

template <class T>
using WeightGradTileFn = void (*)(const WeightGradTile<T>&);

template <class V, int KB, std::size_t... Q>
constexpr std::array<WeightGradTileFn<typename V::T>, sizeof...(Q)> wgrad_row(std::index_sequence<Q...>) {
  return {&wgrad_tile<V, KB, static_cast<int>(Q) + 1>...};
}

// table[kb - 1][taps - 1] for kb <= MaxKb, taps <= MaxTaps.
template <class V, int MaxKb, int MaxTaps, std::size_t... K>
constexpr std::array<std::array<WeightGradTileFn<typename V::T>, MaxTaps>, MaxKb> wgrad_table(
    std::index_sequence<K...>) {
  return {wgrad_row<V, static_cast<int>(K) + 1>(std::make_index_sequence<MaxTaps>{})...};
}

template <class V, int MaxKb, int MaxTaps>
struct WeightGradTable {
  static constexpr auto table = wgrad_table<V, MaxKb, MaxTaps>(std::make_index_sequence<MaxKb>{});
  static void run(const WeightGradTile<typename V::T>& t, std::int64_t kb, std::int64_t taps) {
    table[static_cast<std::size_t>(kb - 1)][static_cast<std::size_t>(taps - 1)](t);
  }
};

// Forward tiles (both layouts) and channel weight-gradient tiles use up to MaxAcc
// accumulators; row weight-gradient tiles MaxKb x MaxTaps accumulators plus MaxKb registers of dy.
// A channel-layout forward tile holds its accumulators, one register per vector of weights and
// the broadcast input, so its vectors of channels are as many as fit beside the accumulators:
// 4 by 6 pixels in AVX-512's 32 registers, 3 by 4 in AVX2's 16. There, 4 by 3 left one
// accumulator on the stack and one vector of weights read from memory at every multiply-add.
template <class V, int MaxAcc, int MaxKb, int MaxTaps>
constexpr conv_detail::DirectKernel<typename V::T> make_direct_kernel() {
  constexpr int channel_vectors = [] {
    int nvc = 4;
    while (nvc > 1 && nvc * (MaxAcc / nvc) + nvc + 1 > V::kRegisters) --nvc;
    return nvc;
  }();
  return {V::W,
          MaxAcc,
          &DirectTable<V, MaxAcc>::run,
          MaxKb,
          MaxTaps,
          &WeightGradTable<V, MaxKb, MaxTaps>::run,
          channel_vectors,
          &ChannelTable<V, MaxAcc>::run,
          &ChannelWeightGradTable<V, MaxAcc>::run};
}

}  // namespace
}  // namespace tg::kernels::gemm_detail
