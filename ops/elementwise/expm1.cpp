// expm1: y = e^x - 1, accurate for small x.  dx = g (y + 1) (the saved output).
#include <cmath>

#include "ops/elementwise/activation_ops.hpp"
#include "ops/elementwise/unary.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<NoAttrs> make_expm1_op() {
  return {
      .name = "expm1",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            ctx.save_output();
            return detail::map_floating(ctx.op_name(), ctx.input(0), [](auto v) { return std::expm1(v); });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        return {g * (ctx.output() + 1.0)};
      },
      .samples = [] { return samples::unary(-2.0, 2.0); },
      .elementary = true,
      .summary = "e^x - 1",
  };
}

Tensor expm1(const Tensor& x) { return call(activation_ops().expm1, {x}); }

}  // namespace tg
