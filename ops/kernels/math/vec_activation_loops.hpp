// The loops every path of activation_floats and activation_gradient_floats compiles (vec_activation.cpp, _avx2.cpp,
// _avx512.cpp): the choice of function sits outside the loops, so each loop vectorises.
// Internal linkage, like activation_math.hpp.
#pragma once

#include <cstdint>

#include "ops/kernels/math/activation_math.hpp"
#include "ops/kernels/math/vec_activation.hpp"

namespace tg::kernels {
namespace {

inline void activation_loop(FloatActivation f, const float* x, float* y, std::int64_t n) {
  switch (f) {
    case FloatActivation::Gelu:
      for (std::int64_t i = 0; i < n; ++i) y[i] = gelu_value(x[i]);
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
      for (std::int64_t i = 0; i < n; ++i) y[i] = g[i] * gelu_derivative_value(x[i]);
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
