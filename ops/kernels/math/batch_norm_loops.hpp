// The loops every path of batch_norm_channels.hpp compiles (batch_norm_channels.cpp,
// _avx2.cpp, _avx512.cpp): plain C++ that the compiler vectorises for the ISA of the
// including file. The lanes and chunks fix the summation order, so every path (built with
// -ffp-contract=off) gives the same bits. Internal linkage, like layer_norm_loops.hpp.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "ops/kernels/math/batch_norm_channels.hpp"

namespace tg::kernels {
namespace {

// The K sums of terms(p) over the elements p of channel c (each a pointer offset into the
// tensor), in the order of batch_norm_channels.hpp. terms(p, sums) adds element p's terms
// into lane sums: sums[k] for k < K.
template <int K, class T, class Terms>
inline std::array<double, K> channel_sums(const ChannelLayout& l, std::int64_t c, Terms terms) {
  std::array<double, K> total{};
  for (std::int64_t image = 0; image < l.batch; ++image) {
    const std::int64_t run = (image * l.channels + c) * l.spatial;
    for (std::int64_t start = 0; start < l.spatial; start += kBatchNormChunk) {
      const std::int64_t len = std::min(kBatchNormChunk, l.spatial - start);
      T lanes[K][kBatchNormLanes] = {};
      std::int64_t j = 0;
      for (; j + kBatchNormLanes <= len; j += kBatchNormLanes) {
        for (int lane = 0; lane < kBatchNormLanes; ++lane) terms(run + start + j + lane, lane, lanes);
      }
      for (int lane = 0; j + lane < len; ++lane) terms(run + start + j + lane, lane, lanes);
      for (int k = 0; k < K; ++k) {
        for (int width = kBatchNormLanes / 2; width >= 1; width /= 2) {
          for (int lane = 0; lane < width; ++lane) lanes[k][lane] += lanes[k][lane + width];
        }
        total[k] += static_cast<double>(lanes[k][0]);
      }
    }
  }
  return total;
}

// Runs f(p) over every element p of channel c.
template <class F>
inline void for_each_in_channel(const ChannelLayout& l, std::int64_t c, F f) {
  for (std::int64_t image = 0; image < l.batch; ++image) {
    const std::int64_t run = (image * l.channels + c) * l.spatial;
    for (std::int64_t j = run; j < run + l.spatial; ++j) f(j);
  }
}

// x - mean in T. The mean is split into its T rounding and the T rounding of
// the rest, so x - mean loses nothing to the mean's rounding (x - mean_hi is exact for x
// near the mean), as in layer_norm's row kernels.
template <class T>
struct Centring {
  T mean_hi;
  T mean_lo;
  explicit Centring(double mean)
      : mean_hi(static_cast<T>(mean)), mean_lo(static_cast<T>(mean - static_cast<double>(mean_hi))) {}
  T centred(T x) const { return (x - mean_hi) - mean_lo; }
};

// rstd * weight[c] (weight null: ones), rounded once.
template <class T>
inline T channel_scale(double rstd, const T* weight, std::int64_t c) {
  return static_cast<T>(weight != nullptr ? rstd * static_cast<double>(weight[c]) : rstd);
}

template <class T>
inline void batch_norm_forward_loop(const BatchNormForwardChannels<T>& a, std::int64_t first, std::int64_t last) {
  const ChannelLayout& l = a.layout;
  const auto count = static_cast<double>(l.count());
  for (std::int64_t c = first; c < last; ++c) {
    const double mean =
        channel_sums<1, T>(l, c,
                           [&](std::int64_t p, int lane, T(&s)[1][kBatchNormLanes]) { s[0][lane] += a.x[p]; })[0] /
        count;
    const Centring<T> centring(mean);
    const double var = channel_sums<1, T>(l, c,
                                          [&](std::int64_t p, int lane, T(&s)[1][kBatchNormLanes]) {
                                            const T d = centring.centred(a.x[p]);
                                            s[0][lane] += d * d;
                                          })[0] /
                       count;
    a.stats[2 * c] = mean;
    a.stats[2 * c + 1] = var;
    const T scale = channel_scale(1.0 / std::sqrt(var + a.eps), a.weight, c);
    const T shift = a.bias != nullptr ? a.bias[c] : T(0);
    for_each_in_channel(l, c, [&](std::int64_t p) { a.y[p] = centring.centred(a.x[p]) * scale + shift; });
  }
}

template <class T>
inline void batch_norm_backward_loop(const BatchNormBackwardChannels<T>& a, std::int64_t first, std::int64_t last) {
  const ChannelLayout& l = a.layout;
  const auto count = static_cast<double>(l.count());
  for (std::int64_t c = first; c < last; ++c) {
    const Centring<T> centring(a.stats[2 * c]);
    const double rstd = 1.0 / std::sqrt(a.stats[2 * c + 1] + a.eps);
    const T rstd_t = static_cast<T>(rstd);
    const auto x_hat = [&](std::int64_t p) { return centring.centred(a.x[p]) * rstd_t; };
    const std::array<double, 2> sums =
        channel_sums<2, T>(l, c, [&](std::int64_t p, int lane, T(&s)[2][kBatchNormLanes]) {
          s[0][lane] += a.dy[p];
          s[1][lane] += a.dy[p] * x_hat(p);
        });
    if (a.dbias != nullptr) a.dbias[c] = static_cast<T>(sums[0]);
    if (a.dweight != nullptr) a.dweight[c] = static_cast<T>(sums[1]);
    if (a.dx == nullptr) continue;
    const T mean_dy = static_cast<T>(sums[0] / count);
    const T mean_dy_xhat = static_cast<T>(sums[1] / count);
    const T scale = channel_scale(rstd, a.weight, c);
    for_each_in_channel(l, c,
                        [&](std::int64_t p) { a.dx[p] = scale * ((a.dy[p] - mean_dy) - x_hat(p) * mean_dy_xhat); });
  }
}

}  // namespace
}  // namespace tg::kernels
