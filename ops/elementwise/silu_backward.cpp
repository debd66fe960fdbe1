// silu_backward: dx = g silu'(x), silu's gradient map in one pass over g and x.
//   silu'(x) = s (1 + x (1 - s)), s = sigmoid(x);  silu''(x) = s (1 - s) (2 + x (1 - 2 s)).
// Gradients: d/dg = gg silu'(x) = silu_backward(gg, x); d/dx = gg g silu''(x), with ops.
// Reference: g s (1 + x (1 - s)) with the sigmoid op.
#include "ops/elementwise/activation_map.hpp"
#include "ops/elementwise/activation_ops.hpp"

namespace tg {

OpDef<NoAttrs> make_silu_backward_op() {
  return {
      .name = "silu_backward",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            if (ctx.needs_input_grad(0) || ctx.needs_input_grad(1)) {
              ctx.save("g", ctx.input(0));
              ctx.save("x", ctx.input(1));
            }
            return detail::map_gradient(ctx.op_name(), ctx.input(0), ctx.input(1), kernels::FloatActivation::Silu,
                                        [](auto v) { return kernels::silu_derivative_value(v); });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& gg, const NoAttrs&) -> std::vector<Tensor> {
        const Tensor& x = ctx.saved("x");
        if (!ctx.needs_input_grad(1)) return {silu_backward(gg, x), Tensor()};
        const Tensor s = sigmoid(x);
        const Tensor second = s * (1.0 - s) * (2.0 + x * (1.0 - 2.0 * s));
        return {ctx.needs_input_grad(0) ? silu_backward(gg, x) : Tensor(), gg * ctx.saved("g") * second};
      },
      .reference =
          [](std::span<const Tensor> in, const NoAttrs&) {
            const Tensor s = sigmoid(in[1]);
            return in[0] * s * (1.0 + in[1] * (1.0 - s));
          },
      .samples = [] { return detail::gradient_map_samples(-4.0, 4.0); },
      .summary = "g silu'(x): silu's gradient map",
  };
}

Tensor silu_backward(const Tensor& grad, const Tensor& x) { return call(activation_ops().silu_backward, {grad, x}); }

}  // namespace tg
