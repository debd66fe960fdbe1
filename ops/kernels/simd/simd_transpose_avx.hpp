// Small in-register transposes for packing (AVX; included by the AVX2 and AVX-512 files
// after their target pragma, internal linkage for the reason given in gemm_tile.hpp).
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace tg::kernels::gemm_detail {
namespace {

// dst[q * ld + r] = src[r * ls + q] for an 8 x 8 float block.
inline void transpose8x8(const float* src, std::int64_t ls, float* dst, std::int64_t ld) {
  __m256 r[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * ls);
  __m256 t[8];
  for (int h = 0; h < 2; ++h) {
    t[4 * h + 0] = _mm256_unpacklo_ps(r[4 * h + 0], r[4 * h + 1]);
    t[4 * h + 1] = _mm256_unpackhi_ps(r[4 * h + 0], r[4 * h + 1]);
    t[4 * h + 2] = _mm256_unpacklo_ps(r[4 * h + 2], r[4 * h + 3]);
    t[4 * h + 3] = _mm256_unpackhi_ps(r[4 * h + 2], r[4 * h + 3]);
  }
  __m256 u[8];  // u[4h + j]: columns j and j + 4 of rows 4h .. 4h + 3
  for (int h = 0; h < 2; ++h) {
    u[4 * h + 0] = _mm256_shuffle_ps(t[4 * h + 0], t[4 * h + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * h + 1] = _mm256_shuffle_ps(t[4 * h + 0], t[4 * h + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int j = 0; j < 4; ++j) {
    _mm256_storeu_ps(dst + j * ld, _mm256_permute2f128_ps(u[j], u[4 + j], 0x20));
    _mm256_storeu_ps(dst + (j + 4) * ld, _mm256_permute2f128_ps(u[j], u[4 + j], 0x31));
  }
}

// dst[q * ld + r] = src[r * ls + q] for a 4 x 4 double block.
inline void transpose4x4(const double* src, std::int64_t ls, double* dst, std::int64_t ld) {
  const __m256d r0 = _mm256_loadu_pd(src), r1 = _mm256_loadu_pd(src + ls);
  const __m256d r2 = _mm256_loadu_pd(src + 2 * ls), r3 = _mm256_loadu_pd(src + 3 * ls);
  const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
  const __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
  _mm256_storeu_pd(dst, _mm256_permute2f128_pd(t0, t2, 0x20));
  _mm256_storeu_pd(dst + ld, _mm256_permute2f128_pd(t1, t3, 0x20));
  _mm256_storeu_pd(dst + 2 * ld, _mm256_permute2f128_pd(t0, t2, 0x31));
  _mm256_storeu_pd(dst + 3 * ld, _mm256_permute2f128_pd(t1, t3, 0x31));
}

}  // namespace
}  // namespace tg::kernels::gemm_detail
