// The loops every path of activation_floats and activation_gradient_floats compiles (vec_activation.cpp, _avx2.cpp,
// _avx512.cpp): the choice of function sits outside the loops, so each loop vectorises.
// Internal linkage, like activation_math.hpp.
#pragma once

#include <algorithm>
#include <cstdint>

#include "ops/kernels/math/activation_math.hpp"
#include "ops/kernels/math/vec_activation.hpp"

namespace tg::kernels {
namespace {

// Exact GELU and its derivative in stages over chunks that stay in L1: the erfc polynomial
// and exponents, the exps, then the rest. In one pass each element is a chain of about 110
// cycles of dependent operations (a division, the polynomial, an exp), longer than the few
// vector iterations the out-of-order window holds cover: the loop ran at a third of its
// throughput (AVX2, Zen 3). Each stage's iterations are short and independent. Every
// element goes through the same operations in the same order as gelu_value and
// gelu_derivative_value, so the bits are theirs.
constexpr std::int64_t kStageChunk = 256;

// y[i] = x[i] Phi(x[i]), or with Derivative y[i] = g[i] (Phi(x[i]) + x[i] phi(x[i])).
template <bool Derivative>
void gelu_staged(const float* g, const float* x, float* y, std::int64_t n) {
  alignas(64) float t[kStageChunk], cdf_exp[kStageChunk], density_exp[kStageChunk];
  for (std::int64_t i0 = 0; i0 < n; i0 += kStageChunk) {
    const std::int64_t m = std::min(kStageChunk, n - i0);
    const float* xs = x + i0;
    for (std::int64_t i = 0; i < m; ++i) {
      const NormalCdfParts parts = normal_cdf_parts(xs[i]);
      t[i] = parts.t;
      cdf_exp[i] = parts.exponent;
      if constexpr (Derivative) density_exp[i] = gelu_density_exponent(xs[i]);
    }
    for (std::int64_t i = 0; i < m; ++i) cdf_exp[i] = exp_float(cdf_exp[i]);
    if constexpr (Derivative) {
      for (std::int64_t i = 0; i < m; ++i) density_exp[i] = exp_float(density_exp[i]);
      for (std::int64_t i = 0; i < m; ++i) {
        const float cdf = normal_cdf_finish(xs[i], t[i], cdf_exp[i]);
        y[i0 + i] = g[i0 + i] * gelu_derivative_from(xs[i], cdf, density_exp[i]);
      }
    } else {
      for (std::int64_t i = 0; i < m; ++i) y[i0 + i] = xs[i] * normal_cdf_finish(xs[i], t[i], cdf_exp[i]);
    }
  }
}

inline void activation_loop(FloatActivation f, const float* x, float* y, std::int64_t n) {
  switch (f) {
    case FloatActivation::Gelu:
      gelu_staged<false>(nullptr, x, y, n);
      return;
    case FloatActivation::GeluTanh:
      for (std::int64_t i = 0; i < n; ++i) y[i] = gelu_tanh_value(x[i]);
      return;
    case FloatActivation::Silu:
      for (std::int64_t i = 0; i < n; ++i) y[i] = silu_value(x[i]);
      return;
  }
}

// The same product g * derivative(x) as the scalar fallback of detail::map_gradient.
inline void activation_gradient_loop(FloatActivation f, const float* g, const float* x, float* y, std::int64_t n) {
  switch (f) {
    case FloatActivation::Gelu:
      gelu_staged<true>(g, x, y, n);
      return;
    case FloatActivation::GeluTanh:
      for (std::int64_t i = 0; i < n; ++i) y[i] = g[i] * gelu_tanh_derivative_value(x[i]);
      return;
    case FloatActivation::Silu:
      for (std::int64_t i = 0; i < n; ++i) y[i] = g[i] * silu_derivative_value(x[i]);
      return;
  }
}

}  // namespace
}  // namespace tg::kernels
