// Matrix multiply kernel: C = alpha * op(A) * op(B) + beta * C on strided row-major data.
//
// gemm() is a packed, cache-blocked kernel (Goto/BLIS design: panels of A and B packed per
// k-block, a register-blocked micro-kernel, SIMD chosen at run time). gemm_reference() is
// the plain triple loop kept as the test oracle.
#pragma once

#include <cstdint>
#include <functional>

namespace tg::kernels {

// A is M x K with element (i, k) at a[i * a_row + k * a_col]; B is K x N likewise; C is
// M x N row-major with leading dimension ldc. beta == 0 overwrites C (NaNs in C ignored).
// k == 0 or alpha == 0 only scales C by beta (A and B are not read, as in BLAS).
// Results are bit-identical for any thread count: each element of C is computed by one
// thread, in a k-order that depends only on the shape and the SIMD path.
template <class T>
void gemm(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a, std::int64_t a_row, std::int64_t a_col,
          const T* b, std::int64_t b_row, std::int64_t b_col, T beta, T* c, std::int64_t ldc);

// The naive loop (one row of C at a time), independent of gemm(): the oracle for tests.
template <class T>
void gemm_reference(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a, std::int64_t a_row,
                    std::int64_t a_col, const T* b, std::int64_t b_row, std::int64_t b_col, T beta, T* c,
                    std::int64_t ldc);

// Packs the block A[i0 : i0 + h, k0 : k0 + kc] into ceil(h / mr) panels of height mr, one
// after another: dst[(s * kc + p) * mr + i] = A[i0 + s * mr + i, k0 + p], and zero for rows
// past i0 + h. With h <= mr that is one panel.
template <class T>
using PackAPanel =
    std::function<void(T* dst, std::int64_t mr, std::int64_t i0, std::int64_t h, std::int64_t k0, std::int64_t kc)>;

// Packs the block B[k0 : k0 + kc, j0 : j0 + w] into ceil(w / nr) panels of width nr, one
// after another: dst[(s * kc + p) * nr + j] = B[k0 + p, j0 + s * nr + j], and zero for
// columns past j0 + w. With w <= nr that is one panel.
template <class T>
using PackBPanel =
    std::function<void(T* dst, std::int64_t nr, std::int64_t k0, std::int64_t kc, std::int64_t j0, std::int64_t w)>;

// gemm() with A and B supplied panel by panel by `pack_a` and `pack_b` instead of as strided
// matrices, so a caller can build them on the fly: convolution packs im2col patches straight
// into the B panels, and the input gradient reads the ROT180 rule's rotated kernel straight
// into the A panels. The same blocking and summation order as gemm(); with allow_parallel
// false the calling thread does all the work (for callers that parallelise over several gemms).
template <class T>
void gemm_panels(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const PackAPanel<T>& pack_a,
                 const PackBPanel<T>& pack_b, T beta, T* c, std::int64_t ldc, bool allow_parallel);

// gemm_panels with a row-major B (element (p, j) at b[p * ldb + j]) read in place by the
// micro-kernel instead of packed: the panels of whole vectors of columns (all of them when n
// is a multiple of the vector width), the last one packed otherwise. A product whose B is
// read once (a pointwise convolution of one image, a linear layer's 64 rows) then does not
// copy it. The same operations on every element as gemm_panels: only where B is read from
// changes.
template <class T>
void gemm_row_major_b(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const PackAPanel<T>& pack_a, const T* b,
                      std::int64_t ldb, T beta, T* c, std::int64_t ldc, bool allow_parallel);

// The packers of a strided A (element (i, k) at a[i * a_row + k * a_col]) and a strided B
// (element (k, j) at b[k * b_row + j * b_col]) on the current SIMD path: what gemm() packs
// its operands with.
template <class T>
PackAPanel<T> strided_panels(const T* a, std::int64_t a_row, std::int64_t a_col);
template <class T>
PackBPanel<T> strided_b_panels(const T* b, std::int64_t b_row, std::int64_t b_col);

// The packer behind both, for operands that are strided piece by piece:
// dst[p * width + i] = src[i * si + p * sp] for i < w, zero for w <= i < width, p < kc.
template <class T>
using StridedPack = void (*)(T* dst, std::int64_t width, const T* src, std::int64_t si, std::int64_t sp, std::int64_t w,
                             std::int64_t kc);
template <class T>
StridedPack<T> strided_pack();

// The height mr of gemm's A panels on the current SIMD path.
template <class T>
std::int64_t gemm_panel_rows();

// gemm_panels with A stored already packed, read in place: ceil(m / mr) strips of
// mr = gemm_panel_rows<T>() rows, strip s holding a_packed[(s * k + p) * mr + i] = A[s * mr + i, p]
// and zero for rows past m. For an operand that is built anyway (Winograd's transformed
// kernel), building it packed saves copying it.
template <class T>
void gemm_packed_a(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a_packed,
                   const PackBPanel<T>& pack_b, T beta, T* c, std::int64_t ldc, bool allow_parallel);

// gemm_panels with B stored already packed, read in place: ceil(n / nr) strips of the micro-
// kernel's width nr, strip s holding b_packed[(s * k + p) * nr + j] = B[p, s * nr + j] and zero
// for columns past n, as pack_b() builds it. An operand used by many products (a recurrent
// weight, once per time step) is then packed once instead of once per product. Bit-identical
// to gemm() on the same operands: the blocking and summation order are gemm()'s.
template <class T>
void gemm_packed_b(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const PackAPanel<T>& pack_a,
                   const T* b_packed, T beta, T* c, std::int64_t ldc, bool allow_parallel);

// The number of elements of B (k x n) packed for gemm_packed_b on the current SIMD path.
template <class T>
std::int64_t packed_b_size(std::int64_t k, std::int64_t n);

// Packs a strided B (element (p, j) at b[p * b_row + j * b_col]) into dst, packed_b_size(k, n)
// elements, in gemm_packed_b's layout for the current SIMD path.
template <class T>
void pack_b(std::int64_t k, std::int64_t n, const T* b, std::int64_t b_row, std::int64_t b_col, T* dst);

}  // namespace tg::kernels
