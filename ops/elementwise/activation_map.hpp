// Shared machinery of the activation ops (gelu, silu, softplus, elu, leaky_relu, ...):
// the float32 fast path of gelu / silu, and unary samples carrying an op's attributes.
#pragma once

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
