// gelu_backward: dx = g gelu'(x), gelu's gradient map in one pass over g and x.
//   exact: gelu'(x) = Phi(x) + x phi(x);  gelu''(x) = phi(x) (2 - x^2).
//   tanh:  with u = k (x + c x^3), u' = k (1 + 3 c x^2), u'' = 6 k c x, t = tanh(u):
//          gelu'(x) = 1/2 (1 + t) + 1/2 x (1 - t^2) u';
//          gelu''(x) = (1 - t^2) (u' + 1/2 x (u'' - 2 t u'^2)).
// Gradients: d/dg = gg gelu'(x) = gelu_backward(gg, x); d/dx = gg g gelu''(x), with ops.
// Reference: g gelu'(x) composed from erf / exp / tanh and arithmetic ops.
#include "ops/elementwise/activation_map.hpp"
#include "ops/elementwise/activation_ops.hpp"

namespace tg {

namespace {

constexpr double kSqrtHalf = 0.707106781186547524;
constexpr double kInvSqrtTwoPi = 0.398942280401432678;
constexpr double kScale = kernels::kGeluTanhScale;
constexpr double kCubic = kernels::kGeluTanhCubic;

Tensor tanh_argument_derivative(const Tensor& x) { return (1.0 + x * x * (3.0 * kCubic)) * kScale; }

Tensor gelu_derivative(const Tensor& x, GeluApproximate approximate) {
  if (approximate == GeluApproximate::Tanh) {
    const Tensor t = tanh(detail::gelu_tanh_argument(x));
    return 0.5 * (1.0 + t) + x * 0.5 * (1.0 - t * t) * tanh_argument_derivative(x);
  }
  return 0.5 * (1.0 + erf(x * kSqrtHalf)) + x * (exp(x * x * -0.5) * kInvSqrtTwoPi);
}

Tensor gelu_second_derivative(const Tensor& x, GeluApproximate approximate) {
  if (approximate == GeluApproximate::Tanh) {
    const Tensor t = tanh(detail::gelu_tanh_argument(x));
    const Tensor du = tanh_argument_derivative(x);
    const Tensor ddu = x * (6.0 * kScale * kCubic);
    return (1.0 - t * t) * (du + x * 0.5 * (ddu - 2.0 * t * du * du));
  }
  return exp(x * x * -0.5) * kInvSqrtTwoPi * (2.0 - x * x);
}

}  // namespace

OpDef<GeluAttrs> make_gelu_backward_op() {
  return {
      .name = "gelu_backward",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const GeluAttrs& attrs) {
            if (ctx.needs_input_grad(0) || ctx.needs_input_grad(1)) {
              ctx.save("g", ctx.input(0));
              ctx.save("x", ctx.input(1));
            }
            if (attrs.approximate == GeluApproximate::Tanh) {
              return detail::map_gradient(ctx.op_name(), ctx.input(0), ctx.input(1), kernels::FloatActivation::GeluTanh,
                                          [](auto v) { return kernels::gelu_tanh_derivative_value(v); });
            }
            return detail::map_gradient(ctx.op_name(), ctx.input(0), ctx.input(1), kernels::FloatActivation::Gelu,
                                        [](auto v) { return kernels::gelu_derivative_value(v); });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& gg, const GeluAttrs& attrs) -> std::vector<Tensor> {
        const Tensor& x = ctx.saved("x");
        return {
            ctx.needs_input_grad(0) ? gelu_backward(gg, x, attrs.approximate) : Tensor(),
            ctx.needs_input_grad(1) ? gg * ctx.saved("g") * gelu_second_derivative(x, attrs.approximate) : Tensor()};
      },
      .reference = [](std::span<const Tensor> in,
                      const GeluAttrs& attrs) { return in[0] * gelu_derivative(in[1], attrs.approximate); },
      .samples =
          [] {
            return detail::joined(detail::unary_samples(detail::gradient_map_samples(-3.0, 3.0), GeluAttrs{}, "exact"),
                                  detail::unary_samples(detail::gradient_map_samples(-3.0, 3.0),
                                                        GeluAttrs{.approximate = GeluApproximate::Tanh}, "tanh"));
          },
      .summary = "g gelu'(x): gelu's gradient map",
  };
}

Tensor gelu_backward(const Tensor& grad, const Tensor& x, GeluApproximate approximate) {
  return call(activation_ops().gelu_backward, {grad, x}, {.approximate = approximate});
}

}  // namespace tg
