// log1p: y = log(1 + x), accurate for small x; -inf at -1 and NaN below, as PyTorch.
// dx = g / (1 + x) (the saved input).
#include <cmath>

#include "ops/elementwise/activation_ops.hpp"
#include "ops/elementwise/unary.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<NoAttrs> make_log1p_op() {
  return {
      .name = "log1p",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            if (ctx.needs_input_grad(0)) ctx.save("x", ctx.input(0));
            return detail::map_floating(ctx.op_name(), ctx.input(0), [](auto v) { return std::log1p(v); });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        return {g / (ctx.saved("x") + 1.0)};
      },
      .samples = [] { return samples::unary(-0.5, 2.0); },  // away from the pole at -1
      .elementary = true,
      .summary = "log(1 + x)",
  };
}

Tensor log1p(const Tensor& x) { return call(activation_ops().log1p, {x}); }

}  // namespace tg
