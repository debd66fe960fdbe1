// GELU (both forms) and SiLU over float arrays, at the widest SIMD width the CPU offers
// (the path follows vec_exp.hpp's). Every path evaluates activation_math.hpp's exact
// sequence of operations, so the bits are the same on every path and equal to the scalar
// gelu_value / gelu_tanh_value / silu_value (and, for the gradient maps, g times the scalar
// gelu_derivative_value / gelu_tanh_derivative_value / silu_derivative_value).
#pragma once

#include <cstdint>

namespace tg::kernels {

enum class FloatActivation { Gelu, GeluTanh, Silu };

// y[i] = f(x[i]) for i < n; y may be x (in place), but not overlap it otherwise.
void activation_floats(FloatActivation f, const float* x, float* y, std::int64_t n);
// y[i] = g[i] * f'(x[i]) for i < n (the gradient maps gelu_backward, silu_backward); y may
// be g or x, but not overlap them otherwise.
void activation_gradient_floats(FloatActivation f, const float* g, const float* x, float* y, std::int64_t n);

namespace vec_activation_detail {
void activation_floats_avx2(FloatActivation f, const float* x, float* y, std::int64_t n);
void activation_floats_avx512(FloatActivation f, const float* x, float* y, std::int64_t n);
void activation_gradient_floats_avx2(FloatActivation f, const float* g, const float* x, float* y, std::int64_t n);
void activation_gradient_floats_avx512(FloatActivation f, const float* g, const float* x, float* y, std::int64_t n);
}  // namespace vec_activation_detail

}  // namespace tg::kernels
