// AVX-512 micro-kernels: 8 x 48 floats / 8 x 24 doubles (24 zmm accumulators, 3 zmm of B,
// A broadcast from memory), with blocking sized for a 1 MB L2.
#include <immintrin.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "ops/kernels/gemm_ukernel.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f")

#include "ops/kernels/gemm_tile.hpp"
#include "ops/kernels/gemm_transpose.hpp"

namespace tg::kernels::gemm_detail {
namespace {

struct Avx512F32 {
  using T = float;
  using Reg = __m512;
  static constexpr int W = 16;
  static constexpr int kTranspose = 8;
  static Reg zero() { return _mm512_setzero_ps(); }
  static Reg load(const T* p) { return _mm512_loadu_ps(p); }
  static void store(T* p, Reg r) { _mm512_storeu_ps(p, r); }
  static Reg bcast(T x) { return _mm512_set1_ps(x); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_ps(a, b); }
  static void transpose_block(const T* s, std::int64_t ls, T* d, std::int64_t ld) { transpose8x8(s, ls, d, ld); }
};

struct Avx512F64 {
  using T = double;
  using Reg = __m512d;
  static constexpr int W = 8;
  static constexpr int kTranspose = 4;
  static Reg zero() { return _mm512_setzero_pd(); }
  static Reg load(const T* p) { return _mm512_loadu_pd(p); }
  static void store(T* p, Reg r) { _mm512_storeu_pd(p, r); }
  static Reg bcast(T x) { return _mm512_set1_pd(x); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_pd(a, b, c); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_pd(a, b); }
  static void transpose_block(const T* s, std::int64_t ls, T* d, std::int64_t ld) { transpose4x4(s, ls, d, ld); }
};

// B blocks: 384 x 336 floats / 256 x 240 doubles, about half the L2.
constexpr MicroKernel<float> kF32 = make_kernel<Avx512F32, 8, 48>(384, 192, 336);
constexpr MicroKernel<double> kF64 = make_kernel<Avx512F64, 8, 24>(256, 192, 240);

}  // namespace
}  // namespace tg::kernels::gemm_detail

#pragma GCC pop_options

namespace tg::kernels::gemm_detail {
template <>
const MicroKernel<float>& avx512_kernel<float>() {
  return kF32;
}
template <>
const MicroKernel<double>& avx512_kernel<double>() {
  return kF64;
}
}  // namespace tg::kernels::gemm_detail
