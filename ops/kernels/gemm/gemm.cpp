// gemm driver (Goto/BLIS design); the micro-kernel follows the SIMD path (simd_path.hpp).
//
// For each block of columns (<= kMaxBlock) and rows (<= kMaxBlock) of C and each k-block
// of kc steps, in k order:
//   1. pack the A block into mr-row panels and the B block into nr-column panels
//      (in parallel; the buffers belong to the calling thread and are reused across calls),
//      or read operands in place: already packed, or a row-major B under a short A
//      (row_major_b);
//   2. cut the C block into tiles (<= tile_rows x tile_cols, a multiple of mr x nr) and
//      run the micro-kernel over each tile's mr x nr sub-tiles in parallel. A tile's B block
//      stays in L2 while the A panels stream through it.
// A C too small to share out by tiles under a deep k is first cut into fixed slices of k,
// run in parallel and added in slice order (k_slices). All block sizes and slices depend
// only on the shape and the path, so every element of C receives the same sequence of
// operations whatever the thread count.
#include "ops/kernels/gemm/gemm.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "ops/kernels/gemm/gemm_ukernel.hpp"
#include "ops/kernels/int_math.hpp"
#include "ops/kernels/scratch.hpp"
#include "ops/kernels/simd/simd_path.hpp"
#include "tensor/parallel.hpp"

namespace tg::kernels {
namespace {

using gemm_detail::MicroKernel;

constexpr std::int64_t kMaxBlock = 2048;          // rows / columns of C packed per pass
constexpr std::int64_t kParallelFlops = 1 << 20;  // below this, one thread does it all
constexpr std::int64_t kMinTasks = 4;             // tiles per C block when parallel
constexpr std::int64_t kMaxKSlices = 4;           // fixed slices of a deep k under a small C

// Splits [0, n) into ceil(n / max_part) near-equal parts, each a multiple of `unit`.
std::int64_t part_size(std::int64_t n, std::int64_t max_part, std::int64_t unit) {
  return round_up(ceil_div(n, ceil_div(n, max_part)), unit);
}

// [0, n) cut into `parts` near-equal ranges of whole units (<= max_part each when possible);
// range t is [begin(t), begin(t + 1)) clipped to n.
struct Split {
  std::int64_t n, unit, units, parts;
  Split(std::int64_t n_, std::int64_t max_part, std::int64_t unit_)
      : n(n_),
        unit(unit_),
        units(ceil_div(n_, unit_)),
        parts(ceil_div(units, std::max<std::int64_t>(1, max_part / unit_))) {}
  std::int64_t begin(std::int64_t t) const { return run_begin(n, unit, parts, t); }
};

template <class T>
const MicroKernel<T>& select_kernel() {
  return *pick_by_simd_path(&gemm_detail::portable_kernel<T>(), &gemm_detail::avx2_kernel<T>(),
                            &gemm_detail::avx512_kernel<T>());
}

template <class T>
void scale_c(std::int64_t m, std::int64_t n, T beta, T* c, std::int64_t ldc) {
  for (std::int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    for (std::int64_t j = 0; j < n; ++j) row[j] = beta == T(0) ? T(0) : beta * row[j];
  }
}

// An operand as gemm_blocked reads it: packed panel by panel through `pack`, or, where
// `base` is not null, read in place there, the panel at strip offset i (a multiple of the
// register tile's height for A, width for B) and step p at base + i * offset_step + p * k_step:
//   - already packed (A: [m / mr][k][mr], B: [n / nr][k][nr]): offset_step = k, k_step = mr / nr;
//   - B row-major with leading dimension ldb: offset_step = 1, k_step = ldb, for the columns
//     before `direct_end` (whole vectors: the micro-kernel loads whole vectors of each row);
//     the panel that crosses it, and any after, are packed through `pack`.
template <class T, class Pack>
struct Operand {
  const Pack* pack;
  const T* base = nullptr;
  std::int64_t offset_step = 0, k_step = 0;
  std::int64_t direct_end = 0;
  bool row_major_a = false;  // A read in place row by row (offset_step = lda, k_step = 1)
  // The operand from step k0 on: `shifted_pack` (this packer shifted by k0), the same in-place data from k0.
  Operand from_step(std::int64_t k0, const Pack* shifted_pack) const {
    return {shifted_pack, base != nullptr ? base + k0 * k_step : nullptr, offset_step, k_step, direct_end, row_major_a};
  }
  // How many of the panels of `width` (the tile's) covering [j0, j0 + extent) are read in place.
  std::int64_t direct_panels(std::int64_t j0, std::int64_t extent, std::int64_t width) const {
    if (base == nullptr || direct_end <= j0) return 0;
    if (direct_end >= j0 + extent) return ceil_div(extent, width);
    return (direct_end - j0) / width;
  }
  // The panel at strip offset `i` from k-block `pc` on, read in place.
  const T* strip(std::int64_t i, std::int64_t pc) const { return base + i * offset_step + pc * k_step; }
};
template <class T>
using AOperand = Operand<T, PackAPanel<T>>;
template <class T>
using BOperand = Operand<T, PackBPanel<T>>;

template <class T>
void gemm_blocked(const MicroKernel<T>& uk, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
                  const AOperand<T>& a, const BOperand<T>& b, T beta, T* c, std::int64_t ldc, bool allow_parallel) {
  const std::int64_t mr = uk.mr, nr = uk.nr;
  const std::int64_t kc_max = part_size(k, uk.kc, 1);
  const std::int64_t mb_max = part_size(m, kMaxBlock, mr);
  const std::int64_t nb_max = part_size(n, kMaxBlock, nr);
  const bool parallel =
      allow_parallel &&
      2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) >= kParallelFlops;
  ScratchLease lease;
  const std::int64_t a_space = a.base != nullptr ? 0 : mb_max * kc_max;
  const std::int64_t b_space = b.direct_panels(0, n, nr) == ceil_div(n, nr) ? 0 : nb_max * kc_max;
  T* const ap = lease.array<T>(a_space + b_space);
  T* const bp = ap + a_space;

  for (std::int64_t jc = 0; jc < n; jc += nb_max) {
    const std::int64_t nb = std::min(nb_max, n - jc);
    // Panels [0, b_direct) of the column block are read in place, the rest packed.
    const std::int64_t b_direct = b.direct_panels(jc, nb, nr);
    const std::int64_t b_panels = ceil_div(nb, nr) - b_direct;
    // B read in place streams from L2 or memory at its row stride: each of its panels is then
    // used by all the tile's A panels while it sits in L1, where a packed B is read
    // contiguously and the A panel stays instead.
    const bool b_panel_outer = b.base != nullptr && b.k_step != nr;
    for (std::int64_t ic = 0; ic < m; ic += mb_max) {
      const std::int64_t mb = std::min(mb_max, m - ic);
      // A's and B's panels are packed in a few runs of consecutive panels, one per thread,
      // rather than one by one: a packer can then read its source in memory order across the
      // panels of a run (the ROT180 rule's rotated kernel: conv_weights.cpp; a row-major B:
      // MicroKernel::pack_rows).
      const std::int64_t a_panels = a.base != nullptr ? 0 : ceil_div(mb, mr);
      const std::int64_t runs = parallel ? static_cast<std::int64_t>(get_num_threads()) : 1;
      const std::int64_t a_runs = std::min(a_panels, runs), b_runs = std::min(b_panels, runs);
      // A small C block (a linear layer's 64 x 128) would be one cache-sized tile: cut it
      // into about kMinTasks so that threads share it. Tiles only group whole register
      // tiles, so every element still gets the same operations.
      Split row_tiles(mb, uk.tile_rows, mr), col_tiles(nb, uk.tile_cols, nr);
      if (parallel && row_tiles.parts * col_tiles.parts < kMinTasks) {
        row_tiles = Split(mb, std::min(uk.tile_rows, round_up(ceil_div(mb, 2), mr)), mr);
        col_tiles = Split(nb, std::min(uk.tile_cols, round_up(ceil_div(nb, 2), nr)), nr);
      }
      for (std::int64_t pc = 0; pc < k; pc += kc_max) {
        const std::int64_t kc = std::min(kc_max, k - pc);
        parallel_for_if(parallel, a_runs + b_runs, 1, [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t t = begin; t < end; ++t) {
            if (t < a_runs) {
              const std::int64_t i = run_begin(mb, mr, a_runs, t), i_end = run_begin(mb, mr, a_runs, t + 1);
              (*a.pack)(ap + i * kc, mr, ic + i, i_end - i, pc, kc);
            } else {
              // The packed panels follow the b_direct ones read in place.
              const std::int64_t packed = nb - b_direct * nr, r = t - a_runs;
              const std::int64_t j = b_direct * nr + run_begin(packed, nr, b_runs, r);
              const std::int64_t j_end = b_direct * nr + run_begin(packed, nr, b_runs, r + 1);
              (*b.pack)(bp + j * kc, nr, pc, kc, jc + j, j_end - j);
            }
          }
        });
        const T beta_k = pc == 0 ? beta : T(1);
        parallel_for_if(parallel, row_tiles.parts * col_tiles.parts, 1, [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t t = begin; t < end; ++t) {
            const std::int64_t ti = t / col_tiles.parts, tj = t % col_tiles.parts;
            const std::int64_t i0 = row_tiles.begin(ti), i1 = row_tiles.begin(ti + 1);
            const std::int64_t j0 = col_tiles.begin(tj), j1 = col_tiles.begin(tj + 1);
            const auto sub_tile = [&](std::int64_t i, std::int64_t j) {
              const T* a_panel = a.base != nullptr ? a.strip(ic + i, pc) : ap + i * kc;
              const bool direct = j < b_direct * nr;
              const T* b_panel = direct ? b.strip(jc + j, pc) : bp + j * kc;
              const std::int64_t ldb = direct ? b.k_step : nr, rows = std::min(mr, i1 - i), cols = std::min(nr, j1 - j);
              T* const c_tile = c + (ic + i) * ldc + jc + j;
              if (a.row_major_a) {
                uk.tile_row_major_a(kc, a_panel, a.offset_step, b_panel, ldb, c_tile, ldc, rows, cols, alpha, beta_k);
              } else {
                uk.tile(kc, a_panel, b_panel, ldb, c_tile, ldc, rows, cols, alpha, beta_k);
              }
            };
            if (b_panel_outer) {
              for (std::int64_t j = j0; j < j1; j += nr)
                for (std::int64_t i = i0; i < i1; i += mr) sub_tile(i, j);
            } else {
              for (std::int64_t i = i0; i < i1; i += mr)
                for (std::int64_t j = j0; j < j1; j += nr) sub_tile(i, j);
            }
          }
        });
      }
    }
  }
}

// How many fixed slices of k a product is cut into: a C too small to share out by tiles
// (a linear layer's 64 x 128) with a deep k (3136) would otherwise pay two parallel
// regions per k-block for a few microseconds of work each. Depends only on the shape.
template <class T>
std::int64_t k_slices(const MicroKernel<T>& uk, std::int64_t m, std::int64_t n, std::int64_t k) {
  const std::int64_t tiles = Split(m, uk.tile_rows, uk.mr).parts * Split(n, uk.tile_cols, uk.nr).parts;
  if (tiles >= kMinTasks) return 1;
  return std::clamp<std::int64_t>(ceil_div(k, uk.kc), 1, kMaxKSlices);
}

template <class T>
void gemm_sliced(const MicroKernel<T>& uk, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
                 const AOperand<T>& a, const BOperand<T>& b, T beta, T* c, std::int64_t ldc, bool allow_parallel) {
  const std::int64_t slices = k_slices(uk, m, n, k);
  if (slices == 1) {
    gemm_blocked(uk, m, n, k, alpha, a, b, beta, c, ldc, allow_parallel);
    return;
  }
  // Slice 0 goes to C with beta, the others to partial products that are then added in
  // slice order, so the bits do not depend on how many threads ran the slices.
  ScratchLease lease;
  T* const partials = lease.array<T>((slices - 1) * m * n);
  const bool parallel =
      allow_parallel &&
      2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) >= kParallelFlops;
  parallel_for_if(parallel, slices, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t s = begin; s < end; ++s) {
      const std::int64_t k0 = s * k / slices, k1 = (s + 1) * k / slices;
      const PackAPanel<T> pack_a_slice = [&](T* dst, std::int64_t mr, std::int64_t i0, std::int64_t h, std::int64_t p0,
                                             std::int64_t kc) { (*a.pack)(dst, mr, i0, h, k0 + p0, kc); };
      const PackBPanel<T> pack_b_slice = [&](T* dst, std::int64_t nr, std::int64_t p0, std::int64_t kc, std::int64_t j0,
                                             std::int64_t width) { (*b.pack)(dst, nr, k0 + p0, kc, j0, width); };
      gemm_blocked(uk, m, n, k1 - k0, alpha, a.from_step(k0, &pack_a_slice), b.from_step(k0, &pack_b_slice),
                   s == 0 ? beta : T(0), s == 0 ? c : partials + (s - 1) * m * n, s == 0 ? ldc : n, false);
    }
  });
  for (std::int64_t s = 1; s < slices; ++s) {
    const T* part = partials + (s - 1) * m * n;
    for (std::int64_t i = 0; i < m; ++i) {
      T* row = c + i * ldc;
      for (std::int64_t j = 0; j < n; ++j) row[j] += part[i * n + j];
    }
  }
}

// The entry of every public product: empty shapes, k == 0 and alpha == 0 only scale C.
template <class T>
void gemm_operands(const MicroKernel<T>& uk, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
                   const AOperand<T>& a, const BOperand<T>& b, T beta, T* c, std::int64_t ldc, bool allow_parallel) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == T(0)) {
    scale_c(m, n, beta, c, ldc);
    return;
  }
  gemm_sliced(uk, m, n, k, alpha, a, b, beta, c, ldc, allow_parallel);
}

// A row-major B read in place where that pays. When all of A's rows make one tile, each of
// B's panels is read once, from wherever B lies, and then reused from L1 by every A panel;
// packing it would copy it just as far for one use (64 x 128 x 784, AVX2 on a Zen 3: 0.21
// against 0.26 ms). Under taller A every row tile rereads the strided rows where a packed
// panel streams (512 x 512 x 512: 4.3 against 3.7 ms). And a row stride of a multiple of
// two cache lines maps a panel's rows to a fraction of L1's sets (to one set at 4 KB), so
// the panel cannot stay there (128 x 1024 x 1024: 5.9 against 4.6 ms): B is packed then.
template <class T>
BOperand<T> row_major_b(const MicroKernel<T>& uk, const PackBPanel<T>& pack_b, const T* b, std::int64_t ldb,
                        std::int64_t m, std::int64_t n) {
  constexpr std::int64_t kCacheLine = 64;
  if (m > uk.tile_rows || ldb * static_cast<std::int64_t>(sizeof(T)) % (2 * kCacheLine) == 0) return {&pack_b};
  return {&pack_b, b, 1, ldb, n / uk.lanes * uk.lanes};
}

}  // namespace

template <class T>
void gemm_panels(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const PackAPanel<T>& pack_a,
                 const PackBPanel<T>& pack_b, T beta, T* c, std::int64_t ldc, bool allow_parallel) {
  gemm_operands(select_kernel<T>(), m, n, k, alpha, AOperand<T>{&pack_a}, BOperand<T>{&pack_b}, beta, c, ldc,
                allow_parallel);
}

template <class T>
void gemm_row_major_b(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const PackAPanel<T>& pack_a, const T* b,
                      std::int64_t ldb, T beta, T* c, std::int64_t ldc, bool allow_parallel) {
  const MicroKernel<T>& uk = select_kernel<T>();
  const PackBPanel<T> pack_b = strided_b_panels(b, ldb, std::int64_t{1});
  gemm_operands(uk, m, n, k, alpha, AOperand<T>{&pack_a}, row_major_b(uk, pack_b, b, ldb, m, n), beta, c, ldc,
                allow_parallel);
}

template <class T>
void gemm_packed_a(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a_packed,
                   const PackBPanel<T>& pack_b, T beta, T* c, std::int64_t ldc, bool allow_parallel) {
  const MicroKernel<T>& uk = select_kernel<T>();
  gemm_operands(uk, m, n, k, alpha, AOperand<T>{nullptr, a_packed, k, uk.mr, m}, BOperand<T>{&pack_b}, beta, c, ldc,
                allow_parallel);
}

template <class T>
void gemm_packed_b(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const PackAPanel<T>& pack_a,
                   const T* b_packed, T beta, T* c, std::int64_t ldc, bool allow_parallel) {
  const MicroKernel<T>& uk = select_kernel<T>();
  gemm_operands(uk, m, n, k, alpha, AOperand<T>{&pack_a}, BOperand<T>{nullptr, b_packed, k, uk.nr, n}, beta, c, ldc,
                allow_parallel);
}

template <class T>
std::int64_t packed_b_size(std::int64_t k, std::int64_t n) {
  const std::int64_t nr = select_kernel<T>().nr;
  return std::max<std::int64_t>(k, 0) * round_up(std::max<std::int64_t>(n, 0), nr);
}

template <class T>
void pack_b(std::int64_t k, std::int64_t n, const T* b, std::int64_t b_row, std::int64_t b_col, T* dst) {
  const MicroKernel<T>& uk = select_kernel<T>();
  if (k <= 0) return;
  for (std::int64_t j = 0; j < n; j += uk.nr) {
    uk.pack(dst + j * k, uk.nr, b + j * b_col, b_col, b_row, std::min(uk.nr, n - j), k);
  }
}

template <class T>
PackAPanel<T> strided_panels(const T* a, std::int64_t a_row, std::int64_t a_col) {
  const MicroKernel<T>& uk = select_kernel<T>();
  return [&uk, a, a_row, a_col](T* dst, std::int64_t mr, std::int64_t i0, std::int64_t h, std::int64_t k0,
                                std::int64_t kc) {
    for (std::int64_t i = 0; i < h; i += mr) {
      uk.pack(dst + i * kc, mr, a + (i0 + i) * a_row + k0 * a_col, a_row, a_col, std::min(mr, h - i), kc);
    }
  };
}

template <class T>
PackBPanel<T> strided_b_panels(const T* b, std::int64_t b_row, std::int64_t b_col) {
  const MicroKernel<T>& uk = select_kernel<T>();
  return [&uk, b, b_row, b_col](T* dst, std::int64_t nr, std::int64_t k0, std::int64_t kc, std::int64_t j0,
                                std::int64_t w) {
    const T* src = b + k0 * b_row + j0 * b_col;
    if (b_col == 1) {
      uk.pack_rows(dst, nr, src, b_row, w, kc);
      return;
    }
    for (std::int64_t j = 0; j < w; j += nr)
      uk.pack(dst + j * kc, nr, src + j * b_col, b_col, b_row, std::min(nr, w - j), kc);
  };
}

template <class T>
StridedPack<T> strided_pack() {
  return select_kernel<T>().pack;
}

template <class T>
std::int64_t gemm_panel_rows() {
  return select_kernel<T>().mr;
}

template <class T>
void gemm(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a, std::int64_t a_row, std::int64_t a_col,
          const T* b, std::int64_t b_row, std::int64_t b_col, T beta, T* c, std::int64_t ldc) {
  const MicroKernel<T>& uk = select_kernel<T>();
  const PackAPanel<T> pack_a = strided_panels(a, a_row, a_col);
  const PackBPanel<T> pack_b = strided_b_panels(b, b_row, b_col);
  // A row-major A read in place where the path's micro-kernel can (tile_row_major_a): packing
  // it transposes every 6 x 8 block, a pass over A that a product with few columns does not
  // earn back (a linear layer's 2048 x 512 -> 128). In place, each step's broadcasts come
  // from the panel's rows, which stay in L1 while the panel is in use.
  const AOperand<T> a_operand = a_col == 1 && uk.tile_row_major_a != nullptr
                                    ? AOperand<T>{&pack_a, a, a_row, 1, m, /*row_major_a=*/true}
                                    : AOperand<T>{&pack_a};
  const BOperand<T> b_operand = b_col == 1 ? row_major_b(uk, pack_b, b, b_row, m, n) : BOperand<T>{&pack_b};
  gemm_operands(uk, m, n, k, alpha, a_operand, b_operand, beta, c, ldc, /*allow_parallel=*/true);
}

template <class T>
void gemm_reference(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a, std::int64_t a_row,
                    std::int64_t a_col, const T* b, std::int64_t b_row, std::int64_t b_col, T beta, T* c,
                    std::int64_t ldc) {
  for (std::int64_t i = 0; i < m; ++i) {
    T* crow = c + i * ldc;
    for (std::int64_t j = 0; j < n; ++j) crow[j] = beta == T(0) ? T(0) : beta * crow[j];
    for (std::int64_t p = 0; p < k; ++p) {
      const T av = alpha * a[i * a_row + p * a_col];
      const T* brow = b + p * b_row;
      for (std::int64_t j = 0; j < n; ++j) crow[j] += av * brow[j * b_col];
    }
  }
}

#define TG_INSTANTIATE_GEMM(T)                                                                                       \
  template void gemm<T>(std::int64_t, std::int64_t, std::int64_t, T, const T*, std::int64_t, std::int64_t, const T*, \
                        std::int64_t, std::int64_t, T, T*, std::int64_t);                                            \
  template void gemm_reference<T>(std::int64_t, std::int64_t, std::int64_t, T, const T*, std::int64_t, std::int64_t, \
                                  const T*, std::int64_t, std::int64_t, T, T*, std::int64_t);                        \
  template void gemm_panels<T>(std::int64_t, std::int64_t, std::int64_t, T, const PackAPanel<T>&,                    \
                               const PackBPanel<T>&, T, T*, std::int64_t, bool);                                     \
  template void gemm_row_major_b<T>(std::int64_t, std::int64_t, std::int64_t, T, const PackAPanel<T>&, const T*,     \
                                    std::int64_t, T, T*, std::int64_t, bool);                                        \
  template void gemm_packed_a<T>(std::int64_t, std::int64_t, std::int64_t, T, const T*, const PackBPanel<T>&, T, T*, \
                                 std::int64_t, bool);                                                                \
  template void gemm_packed_b<T>(std::int64_t, std::int64_t, std::int64_t, T, const PackAPanel<T>&, const T*, T, T*, \
                                 std::int64_t, bool);                                                                \
  template std::int64_t packed_b_size<T>(std::int64_t, std::int64_t);                                                \
  template void pack_b<T>(std::int64_t, std::int64_t, const T*, std::int64_t, std::int64_t, T*);                     \
  template PackAPanel<T> strided_panels<T>(const T*, std::int64_t, std::int64_t);                                    \
  template PackBPanel<T> strided_b_panels<T>(const T*, std::int64_t, std::int64_t);                                  \
  template StridedPack<T> strided_pack<T>();                                                                         \
  template std::int64_t gemm_panel_rows<T>();
TG_INSTANTIATE_GEMM(float)
TG_INSTANTIATE_GEMM(double)
#undef TG_INSTANTIATE_GEMM

}  // namespace tg::kernels
