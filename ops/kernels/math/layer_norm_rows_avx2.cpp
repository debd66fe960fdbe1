// layer_norm's row kernels for AVX2. The per-element maps are the baseline loops compiled
// for AVX2; the row sums are written with intrinsics (Avx2RowSums), because the compiler
// keeps the baseline's 16 double lanes in memory and adds each through a store and a load.
// Here the lanes are four vectors of 4 doubles held in registers, and the backward adds the
// parameter sums in the same pass as the row sums. On a Zen 3, float32 [2048, 256], one
// thread, five alternating runs: forward 0.265-0.276 -> 0.238-0.248 ms, backward
// 0.447-0.454 -> 0.406-0.413 ms. What bounds both is the widening to double; the backward's
// terms, paired in float first (layer_norm_loops.hpp), are widened half as often: on a Zen 1
// (128-bit units) its row kernel went from 0.88-0.91 to 0.74-0.83 ms.
//
// The additions are the baseline's, in its order (lane j % 16, or the backward's pairs, in
// index order, then combine_lanes), and the file is built with -ffp-contract=off
// (CMakeLists.txt) so that no a * b + c is fused: the results equal the baseline path's bit
// for bit. Standard headers come before the target pragma (see vec_exp_avx2.cpp).
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "ops/kernels/simd/isa_target.hpp"

TG_ISA_TARGET_BEGIN("avx2")

#include "ops/kernels/math/layer_norm_loops.hpp"

namespace tg::kernels::layer_norm_detail {

namespace {

static_assert(kLayerNormLanes == 16, "the lanes are four vectors of 4 doubles");

// The 16 double lanes of a row sum: vector k holds lanes 4k .. 4k + 3.
using Lanes = __m256d[4];

// Vectors of T and their widening to double: add(lanes, first, v) adds the elements of v
// to lanes first, first + 1, ... (8 floats feed two lane vectors, 4 doubles one).
template <class T>
struct Avx2;

template <>
struct Avx2<float> {
  using V = __m256;
  static constexpr int kWidth = 8;
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static V broadcast(float v) { return _mm256_set1_ps(v); }
  static V plus(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static __m256d low(V v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }
  static __m256d high(V v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }
  static void add(Lanes& lanes, int first, V v) {
    lanes[first / 4] = _mm256_add_pd(lanes[first / 4], low(v));
    lanes[first / 4 + 1] = _mm256_add_pd(lanes[first / 4 + 1], high(v));
  }
  // p[0 .. 8) += v, in double.
  static void add_to(double* p, V v) {
    _mm256_storeu_pd(p, _mm256_add_pd(_mm256_loadu_pd(p), low(v)));
    _mm256_storeu_pd(p + 4, _mm256_add_pd(_mm256_loadu_pd(p + 4), high(v)));
  }
};

template <>
struct Avx2<double> {
  using V = __m256d;
  static constexpr int kWidth = 4;
  static V load(const double* p) { return _mm256_loadu_pd(p); }
  static V broadcast(double v) { return _mm256_set1_pd(v); }
  static V plus(V a, V b) { return _mm256_add_pd(a, b); }
  static V sub(V a, V b) { return _mm256_sub_pd(a, b); }
  static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static void add(Lanes& lanes, int first, V v) { lanes[first / 4] = _mm256_add_pd(lanes[first / 4], v); }
  static void add_to(double* p, V v) { _mm256_storeu_pd(p, _mm256_add_pd(_mm256_loadu_pd(p), v)); }
};

// The row's tail: elements past the last whole group of 16 go to lanes 0, 1, ... one by one
// (as in for_each_lane). They are gathered here and added to their lanes as vectors; the
// other lanes are left as they are, not given +0.0, which would turn a -0.0 lane (a
// negative subnormal sum flushed to zero under FTZ) into +0.0.
struct Tail {
  double lanes[kLayerNormLanes] = {};
  std::int64_t count = 0;
  void add_to(Lanes& v) const {
    const __m256d limit = _mm256_set1_pd(static_cast<double>(count));
    for (int k = 0; k < 4; ++k) {
      const __m256d lane = _mm256_setr_pd(4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3);
      const __m256d in_tail = _mm256_cmp_pd(lane, limit, _CMP_LT_OQ);
      v[k] = _mm256_blendv_pd(v[k], _mm256_add_pd(v[k], _mm256_loadu_pd(lanes + 4 * k)), in_tail);
    }
  }
};

// combine_lanes in registers: lane l takes lane l + width for width 8, 4, 2, 1.
double combine(const Lanes& v) {
  const __m256d w8_low = _mm256_add_pd(v[0], v[2]), w8_high = _mm256_add_pd(v[1], v[3]);
  const __m256d w4 = _mm256_add_pd(w8_low, w8_high);
  const __m128d w2 = _mm_add_pd(_mm256_castpd256_pd128(w4), _mm256_extractf128_pd(w4, 1));
  return _mm_cvtsd_f64(_mm_add_sd(w2, _mm_unpackhi_pd(w2, w2)));
}

// f(j, first) for each vector of the row's whole groups of 16 elements: j is the vector's
// first element, first its lane.
template <class T, class F>
inline void for_each_vector(std::int64_t whole, F&& f) {
  for (std::int64_t j = 0; j < whole; j += kLayerNormLanes) {
#pragma GCC unroll 4
    for (int first = 0; first < kLayerNormLanes; first += Avx2<T>::kWidth) f(j + first, first);
  }
}

struct Avx2RowSums {
  template <class T>
  static RowStats stats(const T* row, std::int64_t n, double eps) {
    using Ops = Avx2<T>;
    const std::int64_t whole = n - n % kLayerNormLanes;
    Lanes sums = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
    for_each_vector<T>(whole, [&](std::int64_t j, int first) { Ops::add(sums, first, Ops::load(row + j)); });
    if (whole < n) {
      Tail tail{.count = n - whole};
      for (std::int64_t j = whole; j < n; ++j) tail.lanes[j - whole] = static_cast<double>(row[j]);
      tail.add_to(sums);
    }
    const double mean = combine(sums) / static_cast<double>(n);

    // The squares are formed in double: each vector is widened before the subtraction.
    const __m256d mean_v = _mm256_set1_pd(mean);
    Lanes squares = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
    const auto add_square = [&](int lane_vector, __m256d v) {
      const __m256d d = _mm256_sub_pd(v, mean_v);
      squares[lane_vector] = _mm256_add_pd(squares[lane_vector], _mm256_mul_pd(d, d));
    };
    for_each_vector<T>(whole, [&](std::int64_t j, int first) {
      if constexpr (sizeof(T) == sizeof(float)) {
        const __m256 v = Ops::load(row + j);
        add_square(first / 4, Ops::low(v));
        add_square(first / 4 + 1, Ops::high(v));
      } else {
        add_square(first / 4, Ops::load(row + j));
      }
    });
    if (whole < n) {
      Tail tail{.count = n - whole};
      for (std::int64_t j = whole; j < n; ++j) {
        const double d = static_cast<double>(row[j]) - mean;
        tail.lanes[j - whole] = d * d;
      }
      tail.add_to(squares);
    }
    return {mean, 1.0 / std::sqrt(combine(squares) / static_cast<double>(n) + eps)};
  }

  // BaselineRowSums::backward's sums, in one pass over each row; the pass over the last row
  // also adds the parameter terms, and for a pair forms the first row's again (two loads and
  // four operations a vector, instead of a buffer written and read back).
  template <bool kWeight, bool kParams, class T>
  static void backward(const LayerNormBackwardRows<T>& a, const BackwardRows<T>& rows, BackwardRowSums* sums) {
    for (int r = 0; r < rows.count; ++r) {
      sums[r] = kParams && r == rows.count - 1 ? row_pass<kWeight, kParams>(a, rows, r)
                                               : row_pass<kWeight, false>(a, rows, r);
    }
  }

 private:
  // x_hat of a vector of row elements: ((x - mean_hi) - mean_lo) * rstd, as RowStatsIn.
  template <class T>
  struct Centred {
    using V = typename Avx2<T>::V;
    V mean_hi, mean_lo, rstd;
    explicit Centred(const RowStatsIn<T>& in)
        : mean_hi(Avx2<T>::broadcast(in.mean_hi)),
          mean_lo(Avx2<T>::broadcast(in.mean_lo)),
          rstd(Avx2<T>::broadcast(in.rstd)) {}
    V x_hat(V x) const { return Avx2<T>::mul(Avx2<T>::sub(Avx2<T>::sub(x, mean_hi), mean_lo), rstd); }
  };

  // Row r's two sums; with kParams, the parameter terms of rows 0 .. r (r = 1: a pair).
  template <bool kWeight, bool kParams, class T>
  static BackwardRowSums row_pass(const LayerNormBackwardRows<T>& a, const BackwardRows<T>& rows, int r) {
    using Ops = Avx2<T>;
    using V = typename Ops::V;
    constexpr int kHalf = kLayerNormLanes / 2;
    const std::int64_t n = a.n, whole = n - n % kLayerNormLanes;
    const T* const x = rows.x[r];
    const T* const dy = rows.dy[r];
    const Centred<T> centred(rows.in[r]);
    const bool paired = kParams && r == 1;
    const T* const x0 = rows.x[0];
    const T* const dy0 = rows.dy[0];
    const Centred<T> centred0(rows.in[0]);
    Lanes sum_dyh = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
    Lanes sum_dyh_xhat = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
    // The pointers in locals: the stores to the sums could alias `a` for all the compiler
    // knows, and it would load them afresh after each.
    const T* const weight = a.weight;
    double* const dweight_sum = a.dweight_sum;
    double* const dbias_sum = a.dbias_sum;
    // The parameter terms of the vector at column c: this row's, after the first row's of a pair.
    const auto add_params = [&](std::int64_t c, V dy_v, V x_hat) {
      V weight_term = Ops::mul(dy_v, x_hat), bias_term = dy_v;
      if (paired) {
        const V dy0_v = Ops::load(dy0 + c);
        weight_term = Ops::plus(Ops::mul(dy0_v, centred0.x_hat(Ops::load(x0 + c))), weight_term);
        bias_term = Ops::plus(dy0_v, bias_term);
      }
      Ops::add_to(dweight_sum + c, weight_term);
      Ops::add_to(dbias_sum + c, bias_term);
    };
    for (std::int64_t j = 0; j < whole; j += kLayerNormLanes) {
#pragma GCC unroll 2
      for (int h = 0; h < kHalf; h += Ops::kWidth) {
        const std::int64_t c0 = j + h, c1 = j + h + kHalf;  // the pair's elements
        const V dy_a = Ops::load(dy + c0), dy_b = Ops::load(dy + c1);
        const V x_hat_a = centred.x_hat(Ops::load(x + c0)), x_hat_b = centred.x_hat(Ops::load(x + c1));
        const V dyh_a = kWeight ? Ops::mul(dy_a, Ops::load(weight + c0)) : dy_a;
        const V dyh_b = kWeight ? Ops::mul(dy_b, Ops::load(weight + c1)) : dy_b;
        Ops::add(sum_dyh, h, Ops::plus(dyh_a, dyh_b));
        Ops::add(sum_dyh_xhat, h, Ops::plus(Ops::mul(dyh_a, x_hat_a), Ops::mul(dyh_b, x_hat_b)));
        if constexpr (kParams) {
          add_params(c0, dy_a, x_hat_a);
          add_params(c1, dy_b, x_hat_b);
        }
      }
    }
    if (whole < n) {
      const RowStatsIn<T>& in = rows.in[r];
      Tail dyh_tail{.count = n - whole}, dyh_xhat_tail{.count = n - whole};
      for (std::int64_t j = whole; j < n; ++j) {
        const T dyh = kWeight ? dy[j] * weight[j] : dy[j];
        dyh_tail.lanes[j - whole] = static_cast<double>(dyh);
        dyh_xhat_tail.lanes[j - whole] = static_cast<double>(dyh * in.x_hat(x[j]));
      }
      // This pass is the last row's: `rows` holds it, after the first of a pair.
      if constexpr (kParams) add_param_terms(a, rows, whole, n);
      dyh_tail.add_to(sum_dyh);
      dyh_xhat_tail.add_to(sum_dyh_xhat);
    }
    return {combine(sum_dyh), combine(sum_dyh_xhat)};
  }
};

}  // namespace

template <class T>
void forward_rows_avx2(const LayerNormForwardRows<T>& a) {
  forward_rows_loop<Avx2RowSums>(a);
}

template <class T>
void backward_rows_avx2(const LayerNormBackwardRows<T>& a) {
  backward_rows_loop<Avx2RowSums>(a);
}

template void forward_rows_avx2(const LayerNormForwardRows<float>&);
template void forward_rows_avx2(const LayerNormForwardRows<double>&);
template void backward_rows_avx2(const LayerNormBackwardRows<float>&);
template void backward_rows_avx2(const LayerNormBackwardRows<double>&);

}  // namespace tg::kernels::layer_norm_detail

TG_ISA_TARGET_END
