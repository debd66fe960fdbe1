// Vector traits for the avx512 kernels: T, Reg, W (lanes), zero, load, store, load_first
// and store_first (the first n lanes; the rest read as zero), bcast, fma
// (a * b + c), mul, and kTranspose / transpose_block<R> (the first R rows of a block) for packing.
// Include only inside a TG_ISA_TARGET_BEGIN("avx2,fma,avx512f") region; internal linkage, as in gemm_tile.hpp.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "ops/kernels/simd/simd_transpose_avx.hpp"

namespace tg::kernels::gemm_detail {
namespace {

struct Avx512F32 {
  using T = float;
  using Reg = __m512;
  static constexpr int W = 16;
  static constexpr int kTranspose = 8;
  static constexpr int kRegisters = 32;  // vector registers (zmm0-31)
  static Reg zero() { return _mm512_setzero_ps(); }
  static Reg load(const T* p) { return _mm512_loadu_ps(p); }
  static void store(T* p, Reg r) { _mm512_storeu_ps(p, r); }
  static Reg load_first(const T* p, std::int64_t n) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p);
  }
  static void store_first(T* p, Reg r, std::int64_t n) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1u), r);
  }
  static Reg bcast(T x) { return _mm512_set1_ps(x); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_ps(a, b); }
  template <int R = kTranspose>
  static void transpose_block(const T* s, std::int64_t ls, T* d, std::int64_t ld) {
    transpose8x8<R>(s, ls, d, ld);
  }
};

struct Avx512F64 {
  using T = double;
  using Reg = __m512d;
  static constexpr int W = 8;
  static constexpr int kTranspose = 4;
  static constexpr int kRegisters = 32;  // vector registers (zmm0-31)
  static Reg zero() { return _mm512_setzero_pd(); }
  static Reg load(const T* p) { return _mm512_loadu_pd(p); }
  static void store(T* p, Reg r) { _mm512_storeu_pd(p, r); }
  static Reg load_first(const T* p, std::int64_t n) {
    return _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << n) - 1u), p);
  }
  static void store_first(T* p, Reg r, std::int64_t n) {
    _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << n) - 1u), r);
  }
  static Reg bcast(T x) { return _mm512_set1_pd(x); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_pd(a, b, c); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_pd(a, b); }
  template <int R = kTranspose>
  static void transpose_block(const T* s, std::int64_t ls, T* d, std::int64_t ld) {
    transpose4x4<R>(s, ls, d, ld);
  }
};

}  // namespace
}  // namespace tg::kernels::gemm_detail
