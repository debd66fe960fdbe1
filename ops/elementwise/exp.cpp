// exp: y = e^x.  dx = g * y (the saved output).
#include <cmath>

#include "ops/elementwise/unary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef make_exp_op() {
  return {
      .name = "exp",
      .arity = 1,
      .forward = [](ForwardContext& ctx) {
        ctx.save_output();
        return detail::map_floating(ctx.op_name(), ctx.input(0), [](auto v) { return std::exp(v); });
      },
      .backward = [](const BackwardContext& ctx, const Tensor& g) -> std::vector<Tensor> { return {g * ctx.output()}; },
      .samples = [] { return samples::unary(-2.0, 2.0); },
      .summary = "e^x",
  };
}

Tensor exp(const Tensor& x) {
  static const OpDef& op = registry().get("exp");
  return call(op, {x});
}

}  // namespace tg
