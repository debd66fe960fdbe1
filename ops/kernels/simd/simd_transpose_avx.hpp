// Small in-register transposes for packing (AVX; included by the AVX2 and AVX-512 files
// after their target pragma, internal linkage for the reason given in gemm_tile.hpp).
//
// Each transposes the first R rows of a square block: rows past R are neither read nor
// written, so a 6-row GEMM panel packs through the 8 x 8 float transpose in registers.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace tg::kernels::gemm_detail {
namespace {

// The first R lanes of v to d (R <= 4), in fixed-size stores.
template <int R>
inline void store_first_lanes(float* d, __m128 v) {
  if constexpr (R == 4) {
    _mm_storeu_ps(d, v);
  } else if constexpr (R >= 2) {
    _mm_storel_pi(reinterpret_cast<__m64*>(d), v);
    if constexpr (R == 3) _mm_store_ss(d + 2, _mm_movehl_ps(v, v));
  } else if constexpr (R == 1) {
    _mm_store_ss(d, v);
  }
}

template <int R>
inline void store_first_lanes(float* d, __m256 v) {
  if constexpr (R == 8) {
    _mm256_storeu_ps(d, v);
  } else if constexpr (R > 4) {
    _mm_storeu_ps(d, _mm256_castps256_ps128(v));
    store_first_lanes<R - 4>(d + 4, _mm256_extractf128_ps(v, 1));
  } else {
    store_first_lanes<R>(d, _mm256_castps256_ps128(v));
  }
}

template <int R>
inline void store_first_lanes(double* d, __m256d v) {
  if constexpr (R == 4) {
    _mm256_storeu_pd(d, v);
  } else {
    const __m128d lo = _mm256_castpd256_pd128(v);
    if constexpr (R == 1) _mm_store_sd(d, lo);
    if constexpr (R >= 2) _mm_storeu_pd(d, lo);
    if constexpr (R == 3) _mm_store_sd(d + 2, _mm256_extractf128_pd(v, 1));
  }
}

// dst[q * ld + r] = src[r * ls + q] for q < 8 and r < R <= 8 (floats).
//
// Rows r and r + 4 share a register, r in the low 128-bit lane and r + 4 in the high one
// (columns 0-3 in one register, 4-7 in another), so a 4 x 4 transpose within each lane
// leaves whole destination rows and nothing crosses lanes, where transposing 8 full rows
// needs a lane-crossing vperm2f128 per destination row (packing 2046 x 512 into 6-row
// panels, AVX2 on a Zen 1: 1.03 -> 0.95 ms).
template <int R = 8>
inline void transpose8x8(const float* src, std::int64_t ls, float* dst, std::int64_t ld) {
  const auto quarter = [&](int row, int col) {
    return row < R ? _mm_loadu_ps(src + row * ls + col) : _mm_setzero_ps();
  };
  __m256 r[8];  // r[4h + i]: columns 4h .. 4h + 3 of rows i (low lane) and i + 4 (high lane)
  for (int h = 0; h < 2; ++h) {
    for (int i = 0; i < 4; ++i) {
      r[4 * h + i] = _mm256_insertf128_ps(_mm256_castps128_ps256(quarter(i, 4 * h)), quarter(i + 4, 4 * h), 1);
    }
  }
  for (int h = 0; h < 2; ++h) {
    const __m256 t0 = _mm256_unpacklo_ps(r[4 * h + 0], r[4 * h + 1]);
    const __m256 t1 = _mm256_unpackhi_ps(r[4 * h + 0], r[4 * h + 1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[4 * h + 2], r[4 * h + 3]);
    const __m256 t3 = _mm256_unpackhi_ps(r[4 * h + 2], r[4 * h + 3]);
    float* d = dst + 4 * h * ld;  // destination rows 4h .. 4h + 3
    store_first_lanes<R>(d, _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)));
    store_first_lanes<R>(d + ld, _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)));
    store_first_lanes<R>(d + 2 * ld, _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)));
    store_first_lanes<R>(d + 3 * ld, _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2)));
  }
}

// dst[q * ld + r] = src[r * ls + q] for q < 4 and r < R <= 4 (doubles).
template <int R = 4>
inline void transpose4x4(const double* src, std::int64_t ls, double* dst, std::int64_t ld) {
  __m256d r[4];
  for (int i = 0; i < 4; ++i) r[i] = i < R ? _mm256_loadu_pd(src + i * ls) : _mm256_setzero_pd();
  const __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
  const __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
  store_first_lanes<R>(dst, _mm256_permute2f128_pd(t0, t2, 0x20));
  store_first_lanes<R>(dst + ld, _mm256_permute2f128_pd(t1, t3, 0x20));
  store_first_lanes<R>(dst + 2 * ld, _mm256_permute2f128_pd(t0, t2, 0x31));
  store_first_lanes<R>(dst + 3 * ld, _mm256_permute2f128_pd(t1, t3, 0x31));
}

}  // namespace
}  // namespace tg::kernels::gemm_detail
