// Float activations for kernel loops: branch-free arithmetic over exp_float that the
// compiler vectorises, evaluated by the same sequence of operations in the vector body, the
// scalar remainder, the strided fallback and every instruction set (no FMA contraction), so
// a result never depends on layout, chunking, thread count or SIMD path (vec_activation.hpp).
// The double versions use libm, for float64 gradient checks and reference results.
//
// Internal linkage, like vec_math.hpp: the AVX2 / AVX-512 files include it too.
#pragma once

#include <cmath>
#include <type_traits>

#include "ops/kernels/math/vec_math.hpp"

namespace tg::kernels {
namespace {

// Phi(x) = 1/2 erfc(-x / sqrt 2), the standard normal CDF. erfc(z) for z >= 0 is Numerical
// Recipes' erfcc (t = 1 / (1 + z/2), t e^(-z^2 + P(t)) with a degree-9 P; relative error
// below 1.2e-7 everywhere), so the tail x -> -inf keeps its relative accuracy instead of
// cancelling in 1 + erf(x / sqrt 2). In two parts around its exp, so that a loop can run the
// parts as stages (vec_activation_loops.hpp): normal_cdf_parts gives t and the exponent
// -z^2 + P(t), normal_cdf_finish the CDF from them and e^exponent.
struct NormalCdfParts {
  float t, exponent;
};

inline NormalCdfParts normal_cdf_parts(float x) {
  const float z = std::fabs(x) * 0.707106781186547524f;
  const float t = 1.0f / (1.0f + 0.5f * z);
  // P(t) in Estrin's scheme: a chain of 4 multiply-add levels instead of Horner's 9, so the
  // vector loop is not bound by one long dependency per vector.
  const float t2 = t * t;
  const float t4 = t2 * t2;
  const float t8 = t4 * t4;
  const float p01 = -1.26551223f + t * 1.00002368f;
  const float p23 = 0.37409196f + t * 0.09678418f;
  const float p45 = -0.18628806f + t * 0.27886807f;
  const float p67 = -1.13520398f + t * 1.48851587f;
  const float p89 = -0.82215223f + t * 0.17087277f;
  const float p03 = p01 + t2 * p23;
  const float p47 = p45 + t2 * p67;
  const float p = (p03 + t4 * p47) + t8 * p89;
  return {t, p - z * z};
}

inline float normal_cdf_finish(float x, float t, float e) {
  const float half_erfc = 0.5f * t * e;             // Phi(-|x|)
  return x >= 0.0f ? 1.0f - half_erfc : half_erfc;  // a NaN x takes the second branch, NaN
}

inline float normal_cdf_float(float x) {
  const NormalCdfParts parts = normal_cdf_parts(x);
  return normal_cdf_finish(x, parts.t, exp_float(parts.exponent));
}

// sqrt(2 / pi) and the cubic coefficient of GELU's tanh approximation (PyTorch's constants).
inline constexpr double kGeluTanhScale = 0.797884560802865355;
inline constexpr double kGeluTanhCubic = 0.044715;

// x Phi(x).
template <class T>
T gelu_value(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return x * normal_cdf_float(x);
  } else {
    return x * 0.5 * std::erfc(-x * 0.707106781186547524);
  }
}

// 1/2 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3). For float as x / (1 + e^(-2u)),
// the same function (1/2 (1 + tanh u) = sigmoid(2u)) with one exp and no tanh.
template <class T>
T gelu_tanh_value(T x) {
  const T u = T(kGeluTanhScale) * (x + T(kGeluTanhCubic) * (x * x * x));
  if constexpr (std::is_same_v<T, float>) {
    return x / (1.0f + exp_float(-2.0f * u));
  } else {
    return 0.5 * x * (1.0 + std::tanh(u));
  }
}

// x sigmoid(x) = x / (1 + e^-x); e^-x overflowing to inf gives -0 for very negative x.
template <class T>
T silu_value(T x) {
  return x / (T(1) + kernels::exp(-x));
}

// d/dx x Phi(x) = Phi(x) + x phi(x), phi(x) = e^(-x^2/2) / sqrt(2 pi). For float in parts a
// staged loop shares: the density's exponent -x^2/2, then the sum from Phi(x) and its exp.
inline float gelu_density_exponent(float x) { return -0.5f * (x * x); }
inline float gelu_derivative_from(float x, float cdf, float density_exp) {
  return cdf + x * (density_exp * static_cast<float>(0.398942280401432678));  // 1 / sqrt(2 pi)
}

template <class T>
T gelu_derivative_value(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return gelu_derivative_from(x, normal_cdf_float(x), exp_float(gelu_density_exponent(x)));
  } else {
    return 0.5 * std::erfc(-x * 0.707106781186547524) + x * (std::exp(-0.5 * (x * x)) * 0.398942280401432678);
  }
}

// d/dx of gelu_tanh_value: with s = sigmoid(2u) = 1/2 (1 + tanh u),
// s + 2 x s (1 - s) u', u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
template <class T>
T gelu_tanh_derivative_value(T x) {
  const T u = T(kGeluTanhScale) * (x + T(kGeluTanhCubic) * (x * x * x));
  const T du = T(kGeluTanhScale) * (T(1) + T(3.0 * kGeluTanhCubic) * (x * x));
  const T s = T(1) / (T(1) + kernels::exp(T(-2) * u));
  return s + T(2) * x * (s * (T(1) - s)) * du;
}

// d/dx x sigmoid(x) = s (1 + x (1 - s)), s = sigmoid(x).
template <class T>
T silu_derivative_value(T x) {
  const T s = T(1) / (T(1) + kernels::exp(-x));
  return s * (T(1) + x * (T(1) - s));
}

}  // namespace
}  // namespace tg::kernels
