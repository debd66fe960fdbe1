// sqrt: y = x^(1/2) (NaN for x < 0).  dx = g / (2 y) (the saved output).
#include <cmath>

#include "ops/builtin_ops.hpp"
#include "ops/elementwise/unary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<NoAttrs> make_sqrt_op() {
  return {
      .name = "sqrt",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            ctx.save_output();
            return detail::map_floating(ctx.op_name(), ctx.input(0), [](auto v) { return std::sqrt(v); });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        return {g / (ctx.output() * 2.0)};
      },
      .samples = [] { return samples::unary(0.5, 2.0); },  // positive: away from the pole at 0
      .elementary = true,
      .summary = "square root",
  };
}

Tensor sqrt(const Tensor& x) { return call(builtin_ops().sqrt, {x}); }

}  // namespace tg
