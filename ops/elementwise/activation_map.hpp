// Shared machinery of the activation ops (gelu, silu, softplus, elu, leaky_relu, ...):
// the float32 fast path of gelu / silu, the gradient maps' kernel and samples, and unary
// samples carrying an op's attributes.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ops/elementwise/unary.hpp"
#include "ops/kernels/math/activation_math.hpp"
#include "ops/kernels/math/vec_activation.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "tensor/parallel.hpp"

namespace tg::detail {

// y = value(x): contiguous float32 through the SIMD kernel `kind` in fixed chunks, anything
// else through `value`, the kernel's own scalar function, so every layout gives the same bits.
template <class F>
Tensor map_activation(std::string_view op, const Tensor& x, kernels::FloatActivation kind, F value) {
  if (x.dtype() == DType::Float32 && x.is_contiguous()) {
    Tensor out = empty(x.shape());
    const float* src = x.data<float>();
    float* dst = out.data<float>();
    parallel_for(x.numel(), kernels::kElementwiseGrain, [&](std::int64_t begin, std::int64_t end) {
      kernels::activation_floats(kind, src + begin, dst + begin, end - begin);
    });
    return out;
  }
  return map_floating(op, x, value);
}

// grad * derivative(x) for a gradient and an input of the same shape and float dtype (the
// gradient maps gelu_backward, silu_backward): contiguous float32 through the SIMD kernel
// of `kind` in fixed chunks, anything else through the scalar `derivative`, which that
// kernel evaluates by the same operations, so the bits never depend on the layout.
template <class F>
Tensor map_gradient(std::string_view op, const Tensor& grad, const Tensor& x, kernels::FloatActivation kind,
                    F derivative) {
  TG_CHECK(grad.shape() == x.shape(), ShapeError, "{}: gradient {} and input {} differ in shape", op, grad.shape(),
           x.shape());
  TG_CHECK(grad.dtype() == x.dtype(), DTypeError, "{}: gradient is {} but input is {}", op, grad.dtype(), x.dtype());
  if (x.dtype() == DType::Float32 && x.is_contiguous() && grad.is_contiguous()) {
    Tensor out = empty(x.shape());
    const float* pg = grad.data<float>();
    const float* px = x.data<float>();
    float* dst = out.data<float>();
    parallel_for(x.numel(), kernels::kElementwiseGrain, [&](std::int64_t begin, std::int64_t end) {
      kernels::activation_gradient_floats(kind, pg + begin, px + begin, dst + begin, end - begin);
    });
    return out;
  }
  return visit_floating(grad.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    return kernels::binary_map<T, T>(grad, x, grad.shape(), [&](T g, T v) { return g * derivative(v); });
  });
}

// Samples of a gradient map: (grad, x) of equal shapes, x in [low, high), both checked.
inline std::vector<OpSample<NoAttrs>> gradient_map_samples(double low, double high) {
  Generator gen(samples::kSeed + 71);
  std::vector<OpSample<NoAttrs>> out;
  for (const Shape& shape : {Shape{}, Shape{7}, Shape{3, 4}, Shape{0, 3}}) {
    out.push_back({fmt::format("{}", shape), {samples::arg(shape, gen), samples::arg(shape, gen, low, high)}, {}});
  }
  return out;
}

// The argument of GELU's tanh form, sqrt(2/pi) (x + 0.044715 x^3), with ops.
inline Tensor gelu_tanh_argument(const Tensor& x) {
  return (x + x * x * x * kernels::kGeluTanhCubic) * kernels::kGeluTanhScale;
}

// The standard unary samples (samples::unary) with `attrs`, labelled "<shape>, <what>".
template <class Attrs>
std::vector<OpSample<Attrs>> unary_samples(const std::vector<OpSample<NoAttrs>>& base, const Attrs& attrs,
                                           std::string_view what) {
  std::vector<OpSample<Attrs>> out;
  for (const OpSample<NoAttrs>& s : base) {
    out.push_back({.label = s.label + ", " + std::string(what), .inputs = s.inputs, .attrs = attrs});
  }
  return out;
}

// Concatenates sample lists.
template <class Attrs>
std::vector<OpSample<Attrs>> joined(std::vector<OpSample<Attrs>> a, std::vector<OpSample<Attrs>> b) {
  for (OpSample<Attrs>& s : b) a.push_back(std::move(s));
  return a;
}

}  // namespace tg::detail
