// max_pool2d_tiled for AVX-512F: 16 float / 8 double windows a block, assembled and stored
// with masked loads and stores (as fast as plain ones, so `room` is not needed).
// Deinterleaving the kernel_w values of each window is one two-source permute (a second,
// masked one for the lanes of a third register when kernel_w is 3).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "ops/kernels/pool/pool_tiled.hpp"
#include "ops/kernels/simd/isa_target.hpp"

TG_ISA_TARGET_BEGIN("avx2,fma,avx512f")

#include "ops/kernels/pool/pool_tiled_simd.hpp"

namespace tg::kernels::pool_detail {
namespace {

// Lanes [first, first + count) of an L-lane mask (count may run past the width).
template <class M, int L>
M lanes(int first, int count) {
  const int end = std::min(first + count, L);
  if (first >= end) return 0;
  return static_cast<M>(((1u << end) - 1u) & ~((1u << first) - 1u));
}

// The permute indices that gather tap v of L windows of width KW: lane j takes value
// e = KW*j + v of the segment, from the register pair (z0, z1) when e < 2L (the index bit
// of value L picks the register), else from z2 (lanes in from_third).
template <class Index, class Mask, int L, int KW>
struct TapIndices {
  __m512i pair[KW], third[KW];
  Mask from_third[KW];
  TapIndices() {
    for (int v = 0; v < KW; ++v) {
      alignas(64) Index p[L], t[L];
      from_third[v] = 0;
      for (int j = 0; j < L; ++j) {
        const int e = KW * j + v;
        p[j] = static_cast<Index>(e & (2 * L - 1));
        t[j] = static_cast<Index>(e & (L - 1));
        if (e >= 2 * L) from_third[v] = static_cast<Mask>(from_third[v] | (1u << j));
      }
      pair[v] = _mm512_load_si512(p);
      third[v] = _mm512_load_si512(t);
    }
  }
};

struct Avx512F32 {
  using T = float;
  using Vec = __m512;
  using Idx = __m512i;  // int32 plane offsets
  using Mask = __mmask16;
  using LoadMask = Mask;
  using Out = Mask;
  static constexpr int L = 16;

  template <int KW>
  struct Taps : TapIndices<std::int32_t, Mask, L, KW> {
    Vec get(const Vec* z, int v) const {
      const Vec t = _mm512_permutex2var_ps(z[0], this->pair[v], z[1]);
      if constexpr (KW == 3) return _mm512_mask_permutexvar_ps(t, this->from_third[v], this->third[v], z[2]);
      return t;
    }
  };

  static Vec zero() { return _mm512_setzero_ps(); }
  static LoadMask load_mask(int first, int count) { return lanes<Mask, L>(first, count); }
  static Vec load_part(Vec z, const T* p, LoadMask m, bool /*room*/) { return _mm512_mask_loadu_ps(z, m, p); }
  static Out out(int n) { return lanes<Mask, L>(0, n); }
  static Idx indices(const std::int64_t* offsets) {
    alignas(64) std::int32_t narrow[L];
    for (int j = 0; j < L; ++j) narrow[j] = static_cast<std::int32_t>(offsets[j]);
    return _mm512_load_si512(narrow);
  }
  static Idx offset(Idx i, std::int32_t s) { return _mm512_add_epi32(i, _mm512_set1_epi32(s)); }
  // best is not NaN, and not (value <= best): value > best, or value is NaN.
  static Mask takes(Vec value, Vec best) {
    return _mm512_mask_cmp_ps_mask(_mm512_cmp_ps_mask(best, best, _CMP_ORD_Q), value, best, _CMP_NLE_UQ);
  }
  static Vec select(Mask m, Vec a, Vec b) { return _mm512_mask_mov_ps(a, m, b); }
  static Idx select(Mask m, Idx a, Idx b) { return _mm512_mask_mov_epi32(a, m, b); }
  static void store(T* y, std::int64_t* argmax, Out out, Vec best, Idx index, bool /*room*/) {
    _mm512_mask_storeu_ps(y, out, best);
    // (Zero-masking forms throughout: GCC 12 warns about the "undefined" operand of the plain
    // ones, and of _mm512_castsi512_si256.)
    const auto low = static_cast<__mmask8>(out), high = static_cast<__mmask8>(out >> 8);
    _mm512_mask_storeu_epi64(argmax, low,
                             _mm512_maskz_cvtepi32_epi64(low, _mm512_maskz_extracti64x4_epi64(0xF, index, 0)));
    if (high != 0) {
      const __m256i upper = _mm512_maskz_extracti64x4_epi64(0xF, index, 1);
      _mm512_mask_storeu_epi64(argmax + 8, high, _mm512_maskz_cvtepi32_epi64(high, upper));
    }
  }
};

struct Avx512F64 {
  using T = double;
  using Vec = __m512d;
  using Idx = __m512i;  // int64 plane offsets
  using Mask = __mmask8;
  using LoadMask = Mask;
  using Out = Mask;
  static constexpr int L = 8;

  template <int KW>
  struct Taps : TapIndices<std::int64_t, Mask, L, KW> {
    Vec get(const Vec* z, int v) const {
      const Vec t = _mm512_permutex2var_pd(z[0], this->pair[v], z[1]);
      if constexpr (KW == 3) return _mm512_mask_permutexvar_pd(t, this->from_third[v], this->third[v], z[2]);
      return t;
    }
  };

  static Vec zero() { return _mm512_setzero_pd(); }
  static LoadMask load_mask(int first, int count) { return lanes<Mask, L>(first, count); }
  static Vec load_part(Vec z, const T* p, LoadMask m, bool /*room*/) { return _mm512_mask_loadu_pd(z, m, p); }
  static Out out(int n) { return lanes<Mask, L>(0, n); }
  static Idx indices(const std::int64_t* offsets) { return _mm512_loadu_si512(offsets); }
  static Idx offset(Idx i, std::int32_t s) { return _mm512_add_epi64(i, _mm512_set1_epi64(s)); }
  static Mask takes(Vec value, Vec best) {
    return _mm512_mask_cmp_pd_mask(_mm512_cmp_pd_mask(best, best, _CMP_ORD_Q), value, best, _CMP_NLE_UQ);
  }
  static Vec select(Mask m, Vec a, Vec b) { return _mm512_mask_mov_pd(a, m, b); }
  static Idx select(Mask m, Idx a, Idx b) { return _mm512_mask_mov_epi64(a, m, b); }
  static void store(T* y, std::int64_t* argmax, Out out, Vec best, Idx index, bool /*room*/) {
    _mm512_mask_storeu_pd(y, out, best);
    _mm512_mask_storeu_epi64(argmax, out, index);
  }
};

}  // namespace

void max_tiled_planes_avx512(const float* x, float* y, std::int64_t* argmax, const PoolGeometry& g, std::int64_t p0,
                             std::int64_t p1) {
  max_tiled_planes_for_width<Avx512F32>(x, y, argmax, g, p0, p1);
}

void max_tiled_planes_avx512(const double* x, double* y, std::int64_t* argmax, const PoolGeometry& g, std::int64_t p0,
                             std::int64_t p1) {
  max_tiled_planes_for_width<Avx512F64>(x, y, argmax, g, p0, p1);
}

}  // namespace tg::kernels::pool_detail

TG_ISA_TARGET_END
