// sin: y = sin(x).  dx = g cos(x) (the saved input).
#include <cmath>

#include "ops/elementwise/activation_ops.hpp"
#include "ops/elementwise/unary.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<NoAttrs> make_sin_op() {
  return {
      .name = "sin",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            if (ctx.needs_input_grad(0)) ctx.save("x", ctx.input(0));
            return detail::map_floating(ctx.op_name(), ctx.input(0), [](auto v) { return std::sin(v); });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        return {g * cos(ctx.saved("x"))};
      },
      .samples = [] { return samples::unary(-3.0, 3.0); },
      .elementary = true,
      .summary = "sine",
  };
}

Tensor sin(const Tensor& x) { return call(activation_ops().sin, {x}); }

}  // namespace tg
