// gelu, exact:  y = x Phi(x) = 1/2 x (1 + erf(x / sqrt 2)).
//   dx = g (Phi(x) + x phi(x)), phi(x) = e^(-x^2/2) / sqrt(2 pi).
// gelu, tanh:   y = 1/2 x (1 + t), t = tanh(u), u = k (x + c x^3), k = sqrt(2/pi), c = 0.044715.
//   dx = g (1/2 (1 + t) + 1/2 x (1 - t^2) k (1 + 3 c x^2)).
// Backward is the gradient map gelu_backward(g, x) of the saved input, an op whose own
// backward differentiates again. The float32 forward is one pass of the SIMD kernel
// (activation_math.hpp).
// Reference: the formulas above composed from erf / tanh and arithmetic ops.
#include "ops/elementwise/activation_map.hpp"
#include "ops/elementwise/activation_ops.hpp"

namespace tg {

namespace {

Tensor gelu_composition(const Tensor& x, GeluApproximate approximate) {
  if (approximate == GeluApproximate::Tanh) return x * 0.5 * (1.0 + tanh(detail::gelu_tanh_argument(x)));
  return x * 0.5 * (1.0 + erf(x * 0.707106781186547524));
}

}  // namespace

OpDef<GeluAttrs> make_gelu_op() {
  return {
      .name = "gelu",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const GeluAttrs& attrs) {
            if (ctx.needs_input_grad(0)) ctx.save("x", ctx.input(0));
            if (attrs.approximate == GeluApproximate::Tanh) {
              return detail::map_activation(ctx.op_name(), ctx.input(0), kernels::FloatActivation::GeluTanh,
                                            [](auto v) { return kernels::gelu_tanh_value(v); });
            }
            return detail::map_activation(ctx.op_name(), ctx.input(0), kernels::FloatActivation::Gelu,
                                          [](auto v) { return kernels::gelu_value(v); });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const GeluAttrs& attrs) -> std::vector<Tensor> {
        return {gelu_backward(g, ctx.saved("x"), attrs.approximate)};
      },
      .reference = [](std::span<const Tensor> in,
                      const GeluAttrs& attrs) { return gelu_composition(in[0], attrs.approximate); },
      .samples =
          [] {
            return detail::joined(detail::unary_samples(samples::unary(-3.0, 3.0), GeluAttrs{}, "exact"),
                                  detail::unary_samples(samples::unary(-3.0, 3.0),
                                                        GeluAttrs{.approximate = GeluApproximate::Tanh}, "tanh"));
          },
      .summary = "x Phi(x) (or its tanh approximation)",
  };
}

Tensor gelu(const Tensor& x, GeluApproximate approximate) {
  return call(activation_ops().gelu, {x}, {.approximate = approximate});
}

}  // namespace tg
