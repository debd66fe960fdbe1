// The loops every path of layer_norm_rows.hpp compiles (layer_norm_rows.cpp, _avx2.cpp,
// _avx512.cpp): plain C++ that the compiler vectorises for the ISA of the including file.
// The choice of weight / bias / no weight sits outside the loops, so each loop vectorises.
// Internal linkage, like vec_activation_loops.hpp.
#pragma once

#include <cmath>
#include <cstdint>

#include "ops/kernels/math/layer_norm_rows.hpp"

namespace tg::kernels {
namespace {

// step(j, lane) for j in [0, n), lane = j % kLayerNormLanes: whole groups of lanes first
// (the inner loop is what vectorises), then the rest of the row into the first lanes.
template <class Step>
inline void for_each_lane(std::int64_t n, Step&& step) {
  std::int64_t j = 0;
  for (; j + kLayerNormLanes <= n; j += kLayerNormLanes) {
    for (int lane = 0; lane < kLayerNormLanes; ++lane) step(j + lane, lane);
  }
  for (int lane = 0; j + lane < n; ++lane) step(j + lane, lane);
}

// The lanes' sum in a fixed tree: lane l takes lane l + width, for width 16, 8, 4, 2, 1
// (unrolled, so the lanes stay in registers).
inline double combine_lanes(double* lanes) {
#pragma GCC unroll 8
  for (int width = kLayerNormLanes / 2; width >= 1; width /= 2) {
#pragma GCC unroll 32
    for (int lane = 0; lane < width; ++lane) lanes[lane] += lanes[lane + width];
  }
  return lanes[0];
}

struct RowStats {
  double mean = 0.0;
  double rstd = 0.0;
};

struct BackwardRowSums {
  double dy_hat = 0.0;        // sum_j(dy_hat)
  double dy_hat_x_hat = 0.0;  // sum_j(dy_hat * x_hat)
};

// The row's statistics in T for the per-element maps, which run in T, not double: for
// float32 a vector holds twice the elements and needs no conversions, which is what brings
// the maps to memory speed. The mean is split into a T part and the T rounding of the
// rest, so x - mean loses nothing to the mean's rounding (x - mean_hi is exact for x near
// the mean); what remains is a few roundings of T per element, as in libtorch. The row
// sums stay in double.
template <class T>
struct RowStatsIn {
  T mean_hi{};
  T mean_lo{};
  T rstd{};
  RowStatsIn() = default;
  explicit RowStatsIn(const RowStats& st)
      : mean_hi(static_cast<T>(st.mean)),
        mean_lo(static_cast<T>(st.mean - static_cast<double>(mean_hi))),
        rstd(static_cast<T>(st.rstd)) {}
  T x_hat(T x) const { return ((x - mean_hi) - mean_lo) * rstd; }
};

// The backward's row sums pair their terms: in each whole group of kLayerNormLanes elements,
// element l and element l + kLayerNormLanes / 2 are added in T and their sum goes to lane l;
// the rest of the row goes to lanes 0, 1, ... one element each. The parameter sums pair
// rows (BackwardRows). Each double addition then takes a sum of two terms rounded once in T:
// the error of a term stays a few roundings of T, as the product's own rounding already
// is, and no error grows with the row length or the number of rows, which is what the
// double sums are for. Half the terms to widen and add in double: on a Zen 1 (128-bit
// units), where the widening bounds the backward, its row kernel takes a sixth less time
// (docs/performance.md). The forward's mean stays unpaired: an error in the mean moves
// every x_hat by that error over the standard deviation, large for rows far from zero.
// pair(j, k, lane) for the pairs, single(j, lane) for the rest.
template <class Pair, class Single>
inline void for_each_pair_lane(std::int64_t n, Pair&& pair, Single&& single) {
  constexpr int kHalf = kLayerNormLanes / 2;
  std::int64_t j = 0;
  for (; j + kLayerNormLanes <= n; j += kLayerNormLanes) {
    for (int lane = 0; lane < kHalf; ++lane) pair(j + lane, j + lane + kHalf, lane);
  }
  for (int lane = 0; j + lane < n; ++lane) single(j + lane, lane);
}

// The rows one backward step takes: one, or two (rows i and i + 1) when the parameter sums
// are wanted, so that their terms are added in pairs: dweight_sum[j] += dy_0 x_hat_0 + dy_1
// x_hat_1, summed in T and then added in double (a lone last row adds its own terms).
template <class T>
struct BackwardRows {
  int count = 1;
  const T* x[2] = {};
  const T* dy[2] = {};
  RowStatsIn<T> in[2];
  BackwardRows(const LayerNormBackwardRows<T>& a, std::int64_t i, int count_) : count(count_) {
    for (int r = 0; r < count; ++r) {
      x[r] = a.x + (i + r) * a.n;
      dy[r] = a.dy + (i + r) * a.n;
      in[r] = RowStatsIn<T>(RowStats{a.stats[2 * (i + r)], a.stats[2 * (i + r) + 1]});
    }
  }
};

// The rows' parameter terms at columns [begin, end): one addition to each sum per column.
template <class T>
inline void add_param_terms(const LayerNormBackwardRows<T>& a, const BackwardRows<T>& rows, std::int64_t begin,
                            std::int64_t end) {
  const T* x0 = rows.x[0];
  const T* dy0 = rows.dy[0];
  const RowStatsIn<T>& in0 = rows.in[0];
  if (rows.count == 1) {
    for (std::int64_t j = begin; j < end; ++j) {
      a.dweight_sum[j] += static_cast<double>(dy0[j] * in0.x_hat(x0[j]));
      a.dbias_sum[j] += static_cast<double>(dy0[j]);
    }
    return;
  }
  const T* x1 = rows.x[1];
  const T* dy1 = rows.dy[1];
  const RowStatsIn<T>& in1 = rows.in[1];
  for (std::int64_t j = begin; j < end; ++j) {
    a.dweight_sum[j] += static_cast<double>(dy0[j] * in0.x_hat(x0[j]) + dy1[j] * in1.x_hat(x1[j]));
    a.dbias_sum[j] += static_cast<double>(dy0[j] + dy1[j]);
  }
}

// The row sums of the baseline path: the lanes as arrays, which the compiler vectorises
// for the including file's ISA. A path may bring its own sums (the same additions in the
// same order, so the same bits) through the RowSums parameter of the loops below; see
// layer_norm_rows_avx2.cpp.
struct BaselineRowSums {
  // Two passes: the centred sum of squares does not cancel as sum(x^2) - n mean^2 would.
  template <class T>
  static RowStats stats(const T* row, std::int64_t n, double eps) {
    double sums[kLayerNormLanes] = {};
    for_each_lane(n, [&](std::int64_t j, int lane) { sums[lane] += static_cast<double>(row[j]); });
    const double mean = combine_lanes(sums) / static_cast<double>(n);
    double squares[kLayerNormLanes] = {};
    for_each_lane(n, [&](std::int64_t j, int lane) {
      const double d = static_cast<double>(row[j]) - mean;
      squares[lane] += d * d;
    });
    return {mean, 1.0 / std::sqrt(combine_lanes(squares) / static_cast<double>(n) + eps)};
  }

  // The backward's two row sums, sum_j(dy_hat) and sum_j(dy_hat * x_hat), in double over the
  // lanes, the terms paired in T first (for_each_pair_lane); with kParams, the rows'
  // parameter terms (add_param_terms) in a loop of their own (a store in the lanes' loop
  // keeps the compiler from holding the lanes in registers).
  template <bool kWeight, bool kParams, class T>
  static void backward(const LayerNormBackwardRows<T>& a, const BackwardRows<T>& rows, BackwardRowSums* sums) {
    for (int r = 0; r < rows.count; ++r) {
      const T* x = rows.x[r];
      const T* dy = rows.dy[r];
      const RowStatsIn<T>& in = rows.in[r];
      const auto dyh = [&](std::int64_t j) { return kWeight ? dy[j] * a.weight[j] : dy[j]; };
      double sum_dyh[kLayerNormLanes] = {};
      double sum_dyh_xhat[kLayerNormLanes] = {};
      for_each_pair_lane(
          a.n,
          [&](std::int64_t j, std::int64_t k, int lane) {
            const T dyh_j = dyh(j), dyh_k = dyh(k);
            sum_dyh[lane] += static_cast<double>(dyh_j + dyh_k);
            sum_dyh_xhat[lane] += static_cast<double>(dyh_j * in.x_hat(x[j]) + dyh_k * in.x_hat(x[k]));
          },
          [&](std::int64_t j, int lane) {
            sum_dyh[lane] += static_cast<double>(dyh(j));
            sum_dyh_xhat[lane] += static_cast<double>(dyh(j) * in.x_hat(x[j]));
          });
      sums[r] = {combine_lanes(sum_dyh), combine_lanes(sum_dyh_xhat)};
    }
    if constexpr (kParams) add_param_terms(a, rows, 0, a.n);
  }
};

template <class RowSums, bool kWeight, bool kBias, class T>
inline void forward_rows_affine(const LayerNormForwardRows<T>& a) {
  for (std::int64_t i = 0; i < a.rows; ++i) {
    const T* x = a.x + i * a.n;
    T* y = a.y + i * a.n;
    const RowStats st = RowSums::stats(x, a.n, a.eps);
    if (a.stats != nullptr) {
      a.stats[2 * i] = st.mean;
      a.stats[2 * i + 1] = st.rstd;
    }
    const RowStatsIn<T> in(st);
    for (std::int64_t j = 0; j < a.n; ++j) {
      T v = in.x_hat(x[j]);
      if constexpr (kWeight) v *= a.weight[j];
      if constexpr (kBias) v += a.bias[j];
      y[j] = v;
    }
  }
}

template <class RowSums = BaselineRowSums, class T>
inline void forward_rows_loop(const LayerNormForwardRows<T>& a) {
  if (a.weight != nullptr) {
    a.bias != nullptr ? forward_rows_affine<RowSums, true, true>(a) : forward_rows_affine<RowSums, true, false>(a);
  } else {
    a.bias != nullptr ? forward_rows_affine<RowSums, false, true>(a) : forward_rows_affine<RowSums, false, false>(a);
  }
}

// Row by row, or by pairs of rows with the parameter sums (BackwardRows): the two row sums
// of each (RowSums::backward, which also adds the parameter sums), then dx. The
// products are formed in T (as the forward's map) and only summed in double: a float32
// product carries one rounding of 2^-24, and converting each factor to double would double
// the work of the loops.
template <class RowSums, bool kWeight, bool kParams, class T>
inline void backward_rows_weighted(const LayerNormBackwardRows<T>& a) {
  const std::int64_t n = a.n;
  constexpr int kStep = kParams ? 2 : 1;
  for (std::int64_t i = 0; i < a.rows; i += kStep) {
    const BackwardRows<T> rows(a, i, i + 1 < a.rows ? kStep : 1);
    BackwardRowSums sums[2];
    RowSums::template backward<kWeight, kParams>(a, rows, sums);
    if (a.dx == nullptr) continue;
    for (int r = 0; r < rows.count; ++r) {
      const T* x = rows.x[r];
      const T* dy = rows.dy[r];
      const RowStatsIn<T>& in = rows.in[r];
      const T mean_dyh = static_cast<T>(sums[r].dy_hat / static_cast<double>(n));
      const T mean_dyh_xhat = static_cast<T>(sums[r].dy_hat_x_hat / static_cast<double>(n));
      const auto dy_hat = [&](std::int64_t j) { return kWeight ? dy[j] * a.weight[j] : dy[j]; };
      T* dx = a.dx + (i + r) * n;
      for (std::int64_t j = 0; j < n; ++j) dx[j] = in.rstd * ((dy_hat(j) - mean_dyh) - in.x_hat(x[j]) * mean_dyh_xhat);
    }
  }
}

template <class RowSums = BaselineRowSums, class T>
inline void backward_rows_loop(const LayerNormBackwardRows<T>& a) {
  const bool params = a.dweight_sum != nullptr;
  if (a.weight != nullptr) {
    params ? backward_rows_weighted<RowSums, true, true>(a) : backward_rows_weighted<RowSums, true, false>(a);
  } else {
    params ? backward_rows_weighted<RowSums, false, true>(a) : backward_rows_weighted<RowSums, false, false>(a);
  }
}

}  // namespace
}  // namespace tg::kernels
