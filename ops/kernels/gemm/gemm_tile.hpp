// The register-blocked micro-kernel and the panel packer, written once over a vector
// traits type V and compiled by each instruction-set file under its own target options.
//
// Included only by gemm_{portable,avx2,avx512}.cpp, inside their TG_ISA_TARGET_BEGIN region.
// Everything here has internal linkage on purpose: an inline function compiled for
// AVX-512 must never be merged by the linker with the copy another file compiled for a
// lower instruction set.
//
// V provides: T, Reg, W (lanes), zero(), load(p), store(p, r), bcast(x), fma(a, b, c)
// (= a * b + c), mul(a, b), and kTranspose with transpose_block<R>(src, ls, dst, ld) that
// writes dst[q * ld + r] = src[r * ls + q] for the first R rows (R <= kTranspose, default
// all) of a kTranspose x kTranspose block.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "ops/kernels/gemm/gemm_ukernel.hpp"

namespace tg::kernels::gemm_detail {
namespace {

// C[0:R, 0:cols] = alpha * A * B + beta * C with R rows and NV vectors of columns; step p
// of B is the row bp + p * ldb (the panel width when packed). A is a packed panel, element
// (i, p) at ap[p * MR + i], or with kRowA read in place from a row-major A, at
// ap[i * lda + p]: the same values in the same order, so the same bits.
template <class V, int MR, int R, int NV, bool kRowA>
void tile_fixed(std::int64_t kc, const typename V::T* ap, std::int64_t lda, const typename V::T* bp, std::int64_t ldb,
                typename V::T* c, std::int64_t ldc, std::int64_t cols, typename V::T alpha, typename V::T beta) {
  using T = typename V::T;
  using Reg = typename V::Reg;
  constexpr int W = V::W;
  Reg acc[R][NV];
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[i][v] = V::zero();
#pragma GCC unroll 2
  for (std::int64_t p = 0; p < kc; ++p) {
    Reg bv[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) bv[v] = V::load(bp + v * W);
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      const Reg av = V::bcast(kRowA ? ap[i * lda] : ap[i]);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[i][v] = V::fma(av, bv[v], acc[i][v]);
    }
    ap += kRowA ? 1 : MR;
    bp += ldb;
  }
  const Reg va = V::bcast(alpha);
  if (cols == NV * W) {
    const Reg vb = V::bcast(beta);
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      T* cr = c + i * ldc;
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) {
        Reg out = V::mul(va, acc[i][v]);
        if (beta != T(0)) out = V::fma(vb, V::load(cr + v * W), out);
        V::store(cr + v * W, out);
      }
    }
    return;
  }
  // Right edge: the last vector is partial; spill and update the valid columns only.
  alignas(64) T buf[R][NV * W];
  for (int i = 0; i < R; ++i)
    for (int v = 0; v < NV; ++v) V::store(&buf[i][v * W], V::mul(va, acc[i][v]));
  for (int i = 0; i < R; ++i) {
    T* cr = c + i * ldc;
    for (std::int64_t j = 0; j < cols; ++j) cr[j] = beta == T(0) ? buf[i][j] : buf[i][j] + beta * cr[j];
  }
}

template <class T>
using TileFn = void (*)(std::int64_t, const T*, std::int64_t, const T*, std::int64_t, T*, std::int64_t, std::int64_t, T,
                        T);

// Entry I of the table handles R = I / (NR / W) + 1 rows and NV = I % (NR / W) + 1 vectors.
template <class V, int MR, int NR, bool kRowA, std::size_t... I>
constexpr auto make_tile_table(std::index_sequence<I...>) {
  constexpr int nv_max = NR / V::W;
  return std::array<TileFn<typename V::T>, sizeof...(I)>{
      &tile_fixed<V, MR, static_cast<int>(I) / nv_max + 1, static_cast<int>(I) % nv_max + 1, kRowA>...};
}

template <class V, int MR, int NR, bool kRowA>
void tile_on(std::int64_t kc, const typename V::T* ap, std::int64_t lda, const typename V::T* bp, std::int64_t ldb,
             typename V::T* c, std::int64_t ldc, std::int64_t rows, std::int64_t cols, typename V::T alpha,
             typename V::T beta) {
  static_assert(NR % V::W == 0);
  constexpr int nv_max = NR / V::W;
  static constexpr auto table = make_tile_table<V, MR, NR, kRowA>(std::make_index_sequence<MR * nv_max>{});
  const std::int64_t nv = (cols + V::W - 1) / V::W;
  table[static_cast<std::size_t>((rows - 1) * nv_max + nv - 1)](kc, ap, lda, bp, ldb, c, ldc, cols, alpha, beta);
}

// MicroKernel::tile, on a packed A panel.
template <class V, int MR, int NR>
void tile(std::int64_t kc, const typename V::T* ap, const typename V::T* bp, std::int64_t ldb, typename V::T* c,
          std::int64_t ldc, std::int64_t rows, std::int64_t cols, typename V::T alpha, typename V::T beta) {
  tile_on<V, MR, NR, false>(kc, ap, MR, bp, ldb, c, ldc, rows, cols, alpha, beta);
}

template <class T>
using TransposeFn = void (*)(const T*, std::int64_t, T*, std::int64_t);

// Entry R - 1 transposes the first R rows of a block (R < V::kTranspose).
template <class V, std::size_t... R>
constexpr auto make_transpose_table(std::index_sequence<R...>) {
  return std::array<TransposeFn<typename V::T>, sizeof...(R)>{&V::template transpose_block<static_cast<int>(R) + 1>...};
}

// dst[q * ld + r] = src[r * si + q * sp] for q < blk = V::kTranspose and r < rows <= blk,
// sp = +1 or -1 (a source run forwards or backwards in memory).
template <class V>
void transpose_rows(const typename V::T* src, std::int64_t si, std::int64_t sp, std::int64_t rows, typename V::T* dst,
                    std::int64_t ld) {
  constexpr std::int64_t blk = V::kTranspose;
  static constexpr auto by_rows = make_transpose_table<V>(std::make_index_sequence<blk - 1>{});
  // Backwards, columns q = blk - 1 .. 0 lie forwards in memory: transpose them in memory
  // order and write the destination rows last to first.
  const auto* lowest = sp == 1 ? src : src - (blk - 1);
  auto* first_row = sp == 1 ? dst : dst + (blk - 1) * ld;
  const std::int64_t row_step = sp == 1 ? ld : -ld;
  if (rows == blk) {
    V::transpose_block(lowest, si, first_row, row_step);
  } else {  // AVX2's 6-row panels against its 8 x 8 float transpose
    by_rows[static_cast<std::size_t>(rows - 1)](lowest, si, first_row, row_step);
  }
}

template <class V>
void pack(typename V::T* dst, std::int64_t width, const typename V::T* src, std::int64_t si, std::int64_t sp,
          std::int64_t w, std::int64_t kc) {
  using T = typename V::T;
  if (si == 1) {  // rows of the panel are contiguous in the source
    // Each step's run of w elements in vector copies, the lanes past w zero, where an
    // element loop went element by element: a row-major B's panels (gemm 64 x 3136 x 128
    // with its B packed, AVX2 on a Zen 3: 0.715 -> 0.659 ms) and a column-major A's (the
    // weight gradient dY^T X of a linear layer), whose mr = 6 rows are no whole vector on
    // AVX2. There the last vector's lanes past the panel width land on the next step's run,
    // which is written after and overwrites them; the last steps, whose lanes would pass
    // the end of the panel, take the element loop.
    //
    // Steps [0, p_plain) take plain loads, as the masked load is slower: a full panel with
    // no spill, or a full panel whose steps lie a whole vector or more apart, up to its last
    // step. There the lanes past the width read the source between this step's run and the
    // next step's, which lies inside the operand, and land on the next step's destination.
    // (A linear layer's weight gradient dY^T X, 384 x 2048 x 128, AVX2 on a Zen 1: packing
    // took 16% of it with masked loads; 6.7 -> 5.9 ms.)
    const std::int64_t vectors = (width + V::W - 1) / V::W;
    const std::int64_t spill = vectors * V::W - width;
    const std::int64_t p_vector = std::max<std::int64_t>(0, kc - (spill + width - 1) / width);
    std::int64_t p_plain = 0;
    if (w == width && spill == 0) {
      p_plain = p_vector;
    } else if (w == width && sp >= vectors * V::W) {
      p_plain = std::min(p_vector, kc - 1);
    }
    for (std::int64_t p = 0; p < p_vector; ++p) {
      const T* s = src + p * sp;
      T* d = dst + p * width;
      if (p < p_plain) {
        for (std::int64_t i = 0; i < width; i += V::W) V::store(d + i, V::load(s + i));
      } else {
        for (std::int64_t i = 0; i < width; i += V::W) {
          V::store(d + i, V::load_first(s + i, std::clamp<std::int64_t>(w - i, 0, V::W)));
        }
      }
    }
    for (std::int64_t p = p_vector; p < kc; ++p) {
      const T* s = src + p * sp;
      T* d = dst + p * width;
      for (std::int64_t i = 0; i < w; ++i) d[i] = s[i];
      for (std::int64_t i = w; i < width; ++i) d[i] = T(0);
    }
    return;
  }
  std::int64_t p0 = 0;
  if constexpr (V::kTranspose > 1) {
    // Source contiguous along k (row-major A, transposed B), forwards or backwards (the
    // ROT180 rule's reversed taps): transpose square blocks, the last one short of rows
    // when w is not a multiple of the block.
    constexpr std::int64_t blk = V::kTranspose;
    if (sp == 1 || sp == -1) {
      p0 = kc / blk * blk;
      // Row strips inside chunks of columns: a strip's blk source rows sit a whole row apart,
      // often in the same few cache sets (512 x 4608 weights: 48 rows in 2 sets), so they are
      // used up before the next strip's rows evict them, while the chunk's destination, which
      // every strip writes a part of, stays in L1.
      constexpr std::int64_t kChunk = 64;
      for (std::int64_t pc = 0; pc < p0; pc += kChunk) {
        const std::int64_t p_end = std::min(p0, pc + kChunk);
        for (std::int64_t i = 0; i < w; i += blk) {
          const std::int64_t rows = std::min(blk, w - i);
          for (std::int64_t p = pc; p < p_end; p += blk) {
            transpose_rows<V>(src + i * si + p * sp, si, sp, rows, dst + p * width + i, width);
          }
        }
      }
      for (std::int64_t q = 0; q < p0; ++q) {
        for (std::int64_t i = w; i < width; ++i) dst[q * width + i] = T(0);
      }
    }
  }
  for (std::int64_t p = p0; p < kc; ++p) {
    T* d = dst + p * width;
    for (std::int64_t i = 0; i < w; ++i) d[i] = src[i * si + p * sp];
    for (std::int64_t i = w; i < width; ++i) d[i] = T(0);
  }
}

// MicroKernel::pack_rows: each source row is read once, in order, for all the panels, where
// packing panel by panel reads every row again for each panel (a row-major B of 128 columns,
// 3136 x 128, AVX2 on a Zen 3: 0.035 against 0.056 ms).
template <class V>
void pack_rows(typename V::T* dst, std::int64_t width, const typename V::T* src, std::int64_t ld, std::int64_t w,
               std::int64_t kc) {
  using T = typename V::T;
  const std::int64_t full = width % V::W == 0 ? w / width : 0;  // panels copied in whole vectors
  const std::int64_t panels = (w + width - 1) / width;
  for (std::int64_t p = 0; p < kc; ++p) {
    const T* row = src + p * ld;
    for (std::int64_t s = 0; s < full; ++s) {
      T* d = dst + (s * kc + p) * width;
      for (std::int64_t j = 0; j < width; j += V::W) V::store(d + j, V::load(row + s * width + j));
    }
    for (std::int64_t s = full; s < panels; ++s) {
      T* d = dst + (s * kc + p) * width;
      const std::int64_t cols = std::min(width, w - s * width);
      for (std::int64_t j = 0; j < cols; ++j) d[j] = row[s * width + j];
      for (std::int64_t j = cols; j < width; ++j) d[j] = T(0);
    }
  }
}

// kRowMajorAInPlace: the kernel also reads a row-major A in place (tile_row_major_a), on
// the paths where that was measured to pay.
template <class V, int MR, int NR, bool kRowMajorAInPlace = false>
constexpr MicroKernel<typename V::T> make_kernel(std::int64_t kc, std::int64_t tile_rows, std::int64_t tile_cols) {
  TileRowMajorAFn<typename V::T> row_major_a = nullptr;
  if constexpr (kRowMajorAInPlace) row_major_a = &tile_on<V, MR, NR, true>;
  return {MR, NR, V::W, kc, tile_rows, tile_cols, &pack<V>, &pack_rows<V>, &tile<V, MR, NR>, row_major_a};
}

}  // namespace
}  // namespace tg::kernels::gemm_detail
