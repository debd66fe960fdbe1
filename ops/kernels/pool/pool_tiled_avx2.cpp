// max_pool2d_tiled for AVX2: 8 float / 4 double windows a block. On AMD processors
// maskload is slow (measured 2-3x slower on large planes) and maskstore is a long microcoded
// sequence, so registers load and store whole wherever there is room (a partial register
// is blended in); only at the very end of x (of this call's outputs) do loads mask, and
// stores go through a buffer on the stack.
// Deinterleaving the kernel_w values of each window permutes each register into place and
// blends by constant lane masks (AVX2 has no two-source permute).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "ops/kernels/pool/pool_tiled.hpp"
#include "ops/kernels/simd/isa_target.hpp"

TG_ISA_TARGET_BEGIN("avx2,fma")

#include "ops/kernels/pool/pool_tiled_simd.hpp"

namespace tg::kernels::pool_detail {
namespace {

__m256i from_ints(const int* v) { return _mm256_setr_epi32(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]); }

// Lanes [first, first + count) of an L-lane vector: maskload's operand (all-ones in the
// 32-bit elements of those lanes, 8 / L per lane), and whether that is every lane.
struct LaneMask {
  __m256i bits;
  bool whole;
};

template <int L>
LaneMask lane_mask(int first, int count) {
  int m[8];
  for (int k = 0; k < 8; ++k) {
    const int lane = k / (8 / L);
    m[k] = lane >= first && lane < first + count ? -1 : 0;
  }
  return {from_ints(m), first == 0 && count >= L};
}

// Lane j of tap v is value e = KW*j + v of the segment: element e % L of register e / L.
// Each register is permuted into place (as 32-bit elements, E = 8 / L of them per lane) and
// blended in where it is the source.
template <int L, int KW>
struct Avx2Taps {
  static constexpr int E = 8 / L;
  __m256i perm[KW];
  __m256 from[KW][3];  // lanes (as 32-bit masks) whose value is in register c
  Avx2Taps() {
    for (int v = 0; v < KW; ++v) {
      int p[8], f[3][8];
      for (int j = 0; j < L; ++j) {
        const int e = KW * j + v;
        for (int k = 0; k < E; ++k) {
          p[E * j + k] = E * (e % L) + k;
          for (int c = 0; c < 3; ++c) f[c][E * j + k] = e / L == c ? -1 : 0;
        }
      }
      perm[v] = from_ints(p);
      for (int c = 0; c < 3; ++c) from[v][c] = _mm256_castsi256_ps(from_ints(f[c]));
    }
  }
  __m256 get(const __m256* z, int v) const {
    __m256 t = _mm256_permutevar8x32_ps(z[0], perm[v]);
#pragma GCC unroll 3
    for (int c = 1; c < KW; ++c) t = _mm256_blendv_ps(t, _mm256_permutevar8x32_ps(z[c], perm[v]), from[v][c]);
    return t;
  }
  __m256d get(const __m256d* z, int v) const {
    __m256 zs[KW];
#pragma GCC unroll 3
    for (int c = 0; c < KW; ++c) zs[c] = _mm256_castpd_ps(z[c]);
    return _mm256_castps_pd(get(zs, v));
  }
};

// Stores the first n values and indices from the stack buffers.
template <class T>
void store_first(T* y, std::int64_t* argmax, int n, const T* values, const std::int64_t* indices) {
  for (int j = 0; j < n; ++j) {
    y[j] = values[j];
    argmax[j] = indices[j];
  }
}

struct Avx2F32 {
  using T = float;
  using Vec = __m256;
  using Idx = __m256i;  // int32 plane offsets
  using Mask = __m256;
  using LoadMask = LaneMask;
  using Out = int;  // number of lanes stored
  static constexpr int L = 8;
  template <int KW>
  using Taps = Avx2Taps<L, KW>;

  static Vec zero() { return _mm256_setzero_ps(); }
  static LoadMask load_mask(int first, int count) { return lane_mask<L>(first, count); }
  // A whole register is one part, so z is still zero then.
  static Vec load_part(Vec z, const T* p, const LoadMask& m, bool room) {
    if (m.whole) return _mm256_loadu_ps(p);
    if (room) return _mm256_blendv_ps(z, _mm256_loadu_ps(p), _mm256_castsi256_ps(m.bits));
    return _mm256_or_ps(z, _mm256_maskload_ps(p, m.bits));
  }
  static Out out(int n) { return n; }
  static Idx indices(const std::int64_t* offsets) {
    int narrow[L];
    for (int j = 0; j < L; ++j) narrow[j] = static_cast<int>(offsets[j]);
    return from_ints(narrow);
  }
  static Idx offset(Idx i, std::int32_t s) { return _mm256_add_epi32(i, _mm256_set1_epi32(s)); }
  // best is not NaN, and not (value <= best): value > best, or value is NaN.
  static Mask takes(Vec value, Vec best) {
    return _mm256_and_ps(_mm256_cmp_ps(best, best, _CMP_ORD_Q), _mm256_cmp_ps(value, best, _CMP_NLE_UQ));
  }
  static Vec select(Mask m, Vec a, Vec b) { return _mm256_blendv_ps(a, b, m); }
  static Idx select(Mask m, Idx a, Idx b) {
    return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), m));
  }
  static void store(T* y, std::int64_t* argmax, Out n, Vec best, Idx index, bool room) {
    const __m256i low = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(index));
    const __m256i high = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(index, 1));
    if (n == L || room) {
      _mm256_storeu_ps(y, best);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(argmax), low);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(argmax + 4), high);
      return;
    }
    alignas(32) T values[L];
    alignas(32) std::int64_t indices[L];
    _mm256_store_ps(values, best);
    _mm256_store_si256(reinterpret_cast<__m256i*>(indices), low);
    _mm256_store_si256(reinterpret_cast<__m256i*>(indices + 4), high);
    store_first(y, argmax, n, values, indices);
  }
};

struct Avx2F64 {
  using T = double;
  using Vec = __m256d;
  using Idx = __m256i;  // int64 plane offsets
  using Mask = __m256d;
  using LoadMask = LaneMask;
  using Out = int;
  static constexpr int L = 4;
  template <int KW>
  using Taps = Avx2Taps<L, KW>;

  static Vec zero() { return _mm256_setzero_pd(); }
  static LoadMask load_mask(int first, int count) { return lane_mask<L>(first, count); }
  static Vec load_part(Vec z, const T* p, const LoadMask& m, bool room) {
    if (m.whole) return _mm256_loadu_pd(p);
    if (room) return _mm256_blendv_pd(z, _mm256_loadu_pd(p), _mm256_castsi256_pd(m.bits));
    return _mm256_or_pd(z, _mm256_maskload_pd(p, m.bits));
  }
  static Out out(int n) { return n; }
  static Idx indices(const std::int64_t* offsets) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(offsets));
  }
  static Idx offset(Idx i, std::int32_t s) { return _mm256_add_epi64(i, _mm256_set1_epi64x(s)); }
  static Mask takes(Vec value, Vec best) {
    return _mm256_and_pd(_mm256_cmp_pd(best, best, _CMP_ORD_Q), _mm256_cmp_pd(value, best, _CMP_NLE_UQ));
  }
  static Vec select(Mask m, Vec a, Vec b) { return _mm256_blendv_pd(a, b, m); }
  static Idx select(Mask m, Idx a, Idx b) {
    return _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(a), _mm256_castsi256_pd(b), m));
  }
  static void store(T* y, std::int64_t* argmax, Out n, Vec best, Idx index, bool room) {
    if (n == L || room) {
      _mm256_storeu_pd(y, best);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(argmax), index);
      return;
    }
    alignas(32) T values[L];
    alignas(32) std::int64_t indices[L];
    _mm256_store_pd(values, best);
    _mm256_store_si256(reinterpret_cast<__m256i*>(indices), index);
    store_first(y, argmax, n, values, indices);
  }
};

}  // namespace

void max_tiled_planes_avx2(const float* x, float* y, std::int64_t* argmax, const PoolGeometry& g, std::int64_t p0,
                           std::int64_t p1) {
  max_tiled_planes_for_width<Avx2F32>(x, y, argmax, g, p0, p1);
}

void max_tiled_planes_avx2(const double* x, double* y, std::int64_t* argmax, const PoolGeometry& g, std::int64_t p0,
                           std::int64_t p1) {
  max_tiled_planes_for_width<Avx2F64>(x, y, argmax, g, p0, p1);
}

}  // namespace tg::kernels::pool_detail

TG_ISA_TARGET_END
