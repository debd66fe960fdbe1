// tanh: y = tanh(x).  dx = g * (1 - y^2) (the saved output).
#include <cmath>

#include "ops/elementwise/unary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef make_tanh_op() {
  return {
      .name = "tanh",
      .arity = 1,
      .forward = [](ForwardContext& ctx) {
        ctx.save_output();
        return detail::map_floating(ctx.op_name(), ctx.input(0), [](auto v) { return std::tanh(v); });
      },
      .backward = [](const BackwardContext& ctx, const Tensor& g) -> std::vector<Tensor> {
        const Tensor y = ctx.output();
        return {g * (1.0 - y * y)};
      },
      .samples = [] { return samples::unary(-2.0, 2.0); },
      .summary = "hyperbolic tangent",
  };
}

Tensor tanh(const Tensor& x) {
  static const OpDef& op = registry().get("tanh");
  return call(op, {x});
}

}  // namespace tg
