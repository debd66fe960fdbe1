// erf: y = erf(x) = 2/sqrt(pi) int_0^x e^(-t^2) dt.  dx = g 2/sqrt(pi) e^(-x^2) (the saved input).
#include <cmath>

#include "ops/elementwise/activation_ops.hpp"
#include "ops/elementwise/unary.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<NoAttrs> make_erf_op() {
  return {
      .name = "erf",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            if (ctx.needs_input_grad(0)) ctx.save("x", ctx.input(0));
            return detail::map_floating(ctx.op_name(), ctx.input(0), [](auto v) { return std::erf(v); });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        constexpr double kTwoOverSqrtPi = 1.12837916709551257390;
        const Tensor& x = ctx.saved("x");
        return {g * (exp(-(x * x)) * kTwoOverSqrtPi)};
      },
      .samples = [] { return samples::unary(-2.0, 2.0); },
      .elementary = true,
      .summary = "Gauss error function",
  };
}

Tensor erf(const Tensor& x) { return call(activation_ops().erf, {x}); }

}  // namespace tg
