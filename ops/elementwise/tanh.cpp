// tanh: y = tanh(x).  dx = g * (1 - y^2) (the saved output).
#include <cmath>

#include "ops/builtin_ops.hpp"
#include "ops/elementwise/unary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<NoAttrs> make_tanh_op() {
  return {
      .name = "tanh",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            ctx.save_output();
            return detail::map_floating(ctx.op_name(), ctx.input(0), [](auto v) { return std::tanh(v); });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        const Tensor y = ctx.output();
        return {g * (1.0 - y * y)};
      },
      .samples = [] { return samples::unary(-2.0, 2.0); },
      .elementary = true,
      .summary = "hyperbolic tangent",
  };
}

Tensor tanh(const Tensor& x) { return call(builtin_ops().tanh, {x}); }

}  // namespace tg
