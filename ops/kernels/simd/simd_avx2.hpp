// Vector traits for the avx2 kernels: T, Reg, W (lanes), zero, load, store, load_first
// and store_first (the first n lanes; the rest read as zero), bcast, fma
// (a * b + c), mul, and kTranspose / transpose_block<R> (the first R rows of a block) for packing.
// Include only inside a TG_ISA_TARGET_BEGIN("avx2,fma") region; internal linkage, as in gemm_tile.hpp.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "ops/kernels/simd/simd_transpose_avx.hpp"

namespace tg::kernels::gemm_detail {
namespace {

struct Avx2F32 {
  using T = float;
  using Reg = __m256;
  static constexpr int W = 8;
  static constexpr int kTranspose = 8;
  static constexpr int kRegisters = 16;  // vector registers (ymm0-15)
  static Reg zero() { return _mm256_setzero_ps(); }
  static Reg load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, Reg r) { _mm256_storeu_ps(p, r); }
  static __m256i first_lanes(std::int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static void store_first(T* p, Reg r, std::int64_t n) { _mm256_maskstore_ps(p, first_lanes(n), r); }
  static Reg load_first(const T* p, std::int64_t n) { return _mm256_maskload_ps(p, first_lanes(n)); }
  static Reg bcast(T x) { return _mm256_set1_ps(x); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
  static Reg mul(Reg a, Reg b) { return _mm256_mul_ps(a, b); }
  template <int R = kTranspose>
  static void transpose_block(const T* s, std::int64_t ls, T* d, std::int64_t ld) {
    transpose8x8<R>(s, ls, d, ld);
  }
};

struct Avx2F64 {
  using T = double;
  using Reg = __m256d;
  static constexpr int W = 4;
  static constexpr int kTranspose = 4;
  static constexpr int kRegisters = 16;  // vector registers (ymm0-15)
  static Reg zero() { return _mm256_setzero_pd(); }
  static Reg load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, Reg r) { _mm256_storeu_pd(p, r); }
  static __m256i first_lanes(std::int64_t n) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
  }
  static void store_first(T* p, Reg r, std::int64_t n) { _mm256_maskstore_pd(p, first_lanes(n), r); }
  static Reg load_first(const T* p, std::int64_t n) { return _mm256_maskload_pd(p, first_lanes(n)); }
  static Reg bcast(T x) { return _mm256_set1_pd(x); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_pd(a, b, c); }
  static Reg mul(Reg a, Reg b) { return _mm256_mul_pd(a, b); }
  template <int R = kTranspose>
  static void transpose_block(const T* s, std::int64_t ls, T* d, std::int64_t ld) {
    transpose4x4<R>(s, ls, d, ld);
  }
};

}  // namespace
}  // namespace tg::kernels::gemm_detail
