// AVX2 + FMA micro-kernels: 6 x 16 floats / 6 x 8 doubles (12 ymm accumulators, 2 ymm of B,
// A broadcast), with the same cache blocking as the AVX-512 path.
#include <immintrin.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "ops/kernels/gemm_ukernel.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma")

#include "ops/kernels/gemm_tile.hpp"
#include "ops/kernels/gemm_transpose.hpp"

namespace tg::kernels::gemm_detail {
namespace {

struct Avx2F32 {
  using T = float;
  using Reg = __m256;
  static constexpr int W = 8;
  static constexpr int kTranspose = 8;
  static Reg zero() { return _mm256_setzero_ps(); }
  static Reg load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, Reg r) { _mm256_storeu_ps(p, r); }
  static Reg bcast(T x) { return _mm256_set1_ps(x); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
  static Reg mul(Reg a, Reg b) { return _mm256_mul_ps(a, b); }
  static void transpose_block(const T* s, std::int64_t ls, T* d, std::int64_t ld) { transpose8x8(s, ls, d, ld); }
};

struct Avx2F64 {
  using T = double;
  using Reg = __m256d;
  static constexpr int W = 4;
  static constexpr int kTranspose = 4;
  static Reg zero() { return _mm256_setzero_pd(); }
  static Reg load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, Reg r) { _mm256_storeu_pd(p, r); }
  static Reg bcast(T x) { return _mm256_set1_pd(x); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_pd(a, b, c); }
  static Reg mul(Reg a, Reg b) { return _mm256_mul_pd(a, b); }
  static void transpose_block(const T* s, std::int64_t ls, T* d, std::int64_t ld) { transpose4x4(s, ls, d, ld); }
};

// B blocks: 384 x 336 floats / 256 x 240 doubles, about half the L2.
constexpr MicroKernel<float> kF32 = make_kernel<Avx2F32, 6, 16>(384, 192, 336);
constexpr MicroKernel<double> kF64 = make_kernel<Avx2F64, 6, 8>(256, 192, 240);

}  // namespace
}  // namespace tg::kernels::gemm_detail

#pragma GCC pop_options

namespace tg::kernels::gemm_detail {
template <>
const MicroKernel<float>& avx2_kernel<float>() {
  return kF32;
}
template <>
const MicroKernel<double>& avx2_kernel<double>() {
  return kF64;
}
}  // namespace tg::kernels::gemm_detail
