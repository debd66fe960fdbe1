// elu: y = x for x > 0, alpha (e^x - 1) else.
//   dx = g for x > 0, g alpha e^x else (alpha at 0, as PyTorch) (the saved input).
// Reference: where(x > 0, x, alpha expm1(x)).
#include <cmath>

#include "ops/elementwise/activation_map.hpp"
#include "ops/elementwise/activation_ops.hpp"

namespace tg {

OpDef<EluAttrs> make_elu_op() {
  return {
      .name = "elu",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const EluAttrs& attrs) {
            if (ctx.needs_input_grad(0)) ctx.save("x", ctx.input(0));
            return visit_floating(ctx.input(0).dtype(), ctx.op_name(), [&](auto tag) {
              using T = decltype(tag);
              const T alpha = static_cast<T>(attrs.alpha);
              return kernels::unary_map<T, T>(ctx.input(0),
                                              [alpha](T v) { return v > T(0) ? v : alpha * std::expm1(v); });
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const EluAttrs& attrs) -> std::vector<Tensor> {
        const Tensor& x = ctx.saved("x");
        return {where(x > 0.0, g, g * (exp(x) * attrs.alpha))};
      },
      .reference = [](std::span<const Tensor> in,
                      const EluAttrs& attrs) { return where(in[0] > 0.0, in[0], expm1(in[0]) * attrs.alpha); },
      .samples =
          [] {
            // Away from the kink at 0 (for alpha != 1 the slope jumps there).
            return detail::joined(
                detail::unary_samples(samples::unary(-1.0, 1.0, /*distinct=*/true), EluAttrs{}, "alpha 1"),
                detail::unary_samples(samples::unary(-1.0, 1.0, /*distinct=*/true), EluAttrs{.alpha = 0.5},
                                      "alpha 0.5"));
          },
      .summary = "x for x > 0, alpha (e^x - 1) else",
  };
}

Tensor elu(const Tensor& x, double alpha) { return call(activation_ops().elu, {x}, {.alpha = alpha}); }

}  // namespace tg
