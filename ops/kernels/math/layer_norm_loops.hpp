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

// The lanes' sum in a fixed tree: lane l takes lane l + width, for width 8, 4, 2, 1
// (unrolled, so the lanes stay in registers).
inline double combine_lanes(double* lanes) {
#pragma GCC unroll 8
  for (int width = kLayerNormLanes / 2; width >= 1; width /= 2) {
#pragma GCC unroll 16
    for (int lane = 0; lane < width; ++lane) lanes[lane] += lanes[lane + width];
  }
  return lanes[0];
}

struct RowStats {
  double mean = 0.0;
  double rstd = 0.0;
};

// Two passes: the centred sum of squares does not cancel as sum(x^2) - n mean^2 would.
template <class T>
inline RowStats row_stats(const T* row, std::int64_t n, double eps) {
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

// The map runs in T, not double: for float32 a vector holds twice the elements and needs
// no conversions, which is what brings the forward to memory speed. The mean is split into
// a T part and the T rounding of the rest, so x - mean loses nothing to the mean's rounding
// (x - mean_hi is exact for x near the mean); what remains is a few roundings of T per
// element, as in libtorch. The row sums above stay in double.
template <bool kWeight, bool kBias, class T>
inline void forward_rows_affine(const LayerNormForwardRows<T>& a) {
  for (std::int64_t i = 0; i < a.rows; ++i) {
    const T* x = a.x + i * a.n;
    T* y = a.y + i * a.n;
    const RowStats st = row_stats(x, a.n, a.eps);
    const T mean_hi = static_cast<T>(st.mean);
    const T mean_lo = static_cast<T>(st.mean - static_cast<double>(mean_hi));
    const T rstd = static_cast<T>(st.rstd);
    for (std::int64_t j = 0; j < a.n; ++j) {
      T v = ((x[j] - mean_hi) - mean_lo) * rstd;
      if constexpr (kWeight) v *= a.weight[j];
      if constexpr (kBias) v += a.bias[j];
      y[j] = v;
    }
  }
}

template <class T>
inline void forward_rows_loop(const LayerNormForwardRows<T>& a) {
  if (a.weight != nullptr) {
    a.bias != nullptr ? forward_rows_affine<true, true>(a) : forward_rows_affine<true, false>(a);
  } else {
    a.bias != nullptr ? forward_rows_affine<false, true>(a) : forward_rows_affine<false, false>(a);
  }
}

template <bool kWeight, class T>
inline void backward_rows_weighted(const LayerNormBackwardRows<T>& a) {
  const std::int64_t n = a.n;
  double* x_hat = a.x_hat;
  for (std::int64_t i = 0; i < a.rows; ++i) {
    const T* x = a.x + i * n;
    const T* dy = a.dy + i * n;
    const auto dy_hat = [&](std::int64_t j) {
      const double d = static_cast<double>(dy[j]);
      if constexpr (kWeight) return d * static_cast<double>(a.weight[j]);
      return d;
    };
    const RowStats st = row_stats(x, n, a.eps);
    double sum_dyh[kLayerNormLanes] = {};
    double sum_dyh_xhat[kLayerNormLanes] = {};
    for_each_lane(n, [&](std::int64_t j, int lane) {
      const double xh = (static_cast<double>(x[j]) - st.mean) * st.rstd;
      x_hat[j] = xh;
      const double dyh = dy_hat(j);
      sum_dyh[lane] += dyh;
      sum_dyh_xhat[lane] += dyh * xh;
    });
    if (a.dweight_sum != nullptr) {
      for (std::int64_t j = 0; j < n; ++j) a.dweight_sum[j] += static_cast<double>(dy[j]) * x_hat[j];
    }
    if (a.dbias_sum != nullptr) {
      for (std::int64_t j = 0; j < n; ++j) a.dbias_sum[j] += static_cast<double>(dy[j]);
    }
    if (a.dx == nullptr) continue;
    const double mean_dyh = combine_lanes(sum_dyh) / static_cast<double>(n);
    const double mean_dyh_xhat = combine_lanes(sum_dyh_xhat) / static_cast<double>(n);
    T* dx = a.dx + i * n;
    for (std::int64_t j = 0; j < n; ++j) {
      dx[j] = static_cast<T>(st.rstd * (dy_hat(j) - mean_dyh - x_hat[j] * mean_dyh_xhat));
    }
  }
}

template <class T>
inline void backward_rows_loop(const LayerNormBackwardRows<T>& a) {
  a.weight != nullptr ? backward_rows_weighted<true>(a) : backward_rows_weighted<false>(a);
}

}  // namespace
}  // namespace tg::kernels
