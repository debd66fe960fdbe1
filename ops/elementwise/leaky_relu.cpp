// leaky_relu: y = x for x > 0, s x else (s = negative_slope; NaN propagates).
//   dx = g for x > 0, g s else (s at 0, as PyTorch). The mask x > 0 is piecewise constant,
//   so the rule is its own derivative in g and needs nothing more for double backward.
// Reference: where(x > 0, x, x s), the composition nn::functional::leaky_relu used before
// (the fused forward computes x s in x's dtype, as that mul did: the same bits).
#include "ops/elementwise/activation_map.hpp"
#include "ops/elementwise/activation_ops.hpp"

namespace tg {

OpDef<LeakyReluAttrs> make_leaky_relu_op() {
  return {
      .name = "leaky_relu",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const LeakyReluAttrs& attrs) {
            if (ctx.needs_input_grad(0)) ctx.save("x", ctx.input(0));
            return visit_floating(ctx.input(0).dtype(), ctx.op_name(), [&](auto tag) {
              using T = decltype(tag);
              const T slope = static_cast<T>(attrs.negative_slope);
              return kernels::unary_map<T, T>(ctx.input(0), [slope](T v) { return v > T(0) ? v : v * slope; });
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const LeakyReluAttrs& attrs) -> std::vector<Tensor> {
        return {where(ctx.saved("x") > 0.0, g, g * attrs.negative_slope)};
      },
      .reference = [](std::span<const Tensor> in,
                      const LeakyReluAttrs& attrs) { return where(in[0] > 0.0, in[0], in[0] * attrs.negative_slope); },
      .samples =
          [] {
            return detail::joined(
                detail::unary_samples(samples::unary(-1.0, 1.0, /*distinct=*/true), LeakyReluAttrs{}, "slope 0.01"),
                detail::unary_samples(samples::unary(-1.0, 1.0, /*distinct=*/true),
                                      LeakyReluAttrs{.negative_slope = 0.2}, "slope 0.2"));
          },
      .summary = "x for x > 0, negative_slope x else; gradient negative_slope at 0",
  };
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return call(activation_ops().leaky_relu, {x}, {.negative_slope = negative_slope});
}

}  // namespace tg
