// log: y = ln(x) (NaN for x < 0, -inf at 0).  dx = g / x.
#include <cmath>

#include "ops/elementwise/unary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef make_log_op() {
  return {
      .name = "log",
      .arity = 1,
      .forward = [](ForwardContext& ctx) {
        if (ctx.needs_input_grad(0)) ctx.save(ctx.input(0));
        return detail::map_floating(ctx.op_name(), ctx.input(0), [](auto v) { return std::log(v); });
      },
      .backward = [](const BackwardContext& ctx, const Tensor& g) -> std::vector<Tensor> { return {g / ctx.saved(0)}; },
      .samples = [] { return samples::unary(0.5, 2.0); },  // positive: inside the domain
      .summary = "natural logarithm",
  };
}

Tensor log(const Tensor& x) {
  static const OpDef& op = registry().get("log");
  return call(op, {x});
}

}  // namespace tg
