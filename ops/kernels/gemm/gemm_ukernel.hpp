// Internal interface between the gemm driver (gemm.cpp) and the per-instruction-set
// micro-kernels (gemm_portable.cpp, gemm_avx2.cpp, gemm_avx512.cpp).
#pragma once

#include <cstdint>

namespace tg::kernels::gemm_detail {

// Packed layouts (one k-block of kc steps):
//   A panel: mr rows, element (i, p) at ap[p * mr + i]   (rows past the edge are zero)
//   B panel: nr cols, element (p, j) at bp[p * nr + j]   (cols past the edge are zero), or
//            read in place from a row-major B, element (p, j) at bp[p * ldb + j]
template <class T>
using TileRowMajorAFn = void (*)(std::int64_t kc, const T* ap, std::int64_t lda, const T* bp, std::int64_t ldb, T* c,
                                 std::int64_t ldc, std::int64_t rows, std::int64_t cols, T alpha, T beta);

template <class T>
struct MicroKernel {
  std::int64_t mr;         // register tile rows
  std::int64_t nr;         // register tile columns
  std::int64_t lanes;      // columns per vector: a B panel read in place spans whole vectors
  std::int64_t kc;         // k-block: one A panel (mr x kc) and a B tile stay in cache
  std::int64_t tile_rows;  // upper bound on rows of C per parallel task
  std::int64_t tile_cols;  // upper bound on columns per task (its B block, kc x cols, fits L2)
  // Packs `width`-wide panel: dst[p * width + i] = src[i * si + p * sp] for i < w, zero
  // for w <= i < width, p < kc.
  void (*pack)(T* dst, std::int64_t width, const T* src, std::int64_t si, std::int64_t sp, std::int64_t w,
               std::int64_t kc);
  // Packs a row-major source (step p at src + p * ld) into ceil(w / width) panels one after
  // another: dst[(s * kc + p) * width + j] = src[p * ld + s * width + j], zero past column w.
  void (*pack_rows)(T* dst, std::int64_t width, const T* src, std::int64_t ld, std::int64_t w, std::int64_t kc);
  // C[0:rows, 0:cols] = alpha * Apanel * Bpanel + beta * C (beta == 0: C not read); B's
  // step p is the row bp + p * ldb (ldb = nr when packed). Reads ceil(cols / lanes) vectors
  // of each B row.
  void (*tile)(std::int64_t kc, const T* ap, const T* bp, std::int64_t ldb, T* c, std::int64_t ldc, std::int64_t rows,
               std::int64_t cols, T alpha, T beta);
  // tile with A read in place from a row-major A, step p of row i at ap[i * lda + p]; the
  // same operations in the same order, so the same bits. Null where the path packs A always.
  TileRowMajorAFn<T> tile_row_major_a;
};

template <class T>
const MicroKernel<T>& portable_kernel();
template <class T>
const MicroKernel<T>& avx2_kernel();
template <class T>
const MicroKernel<T>& avx512_kernel();

}  // namespace tg::kernels::gemm_detail
