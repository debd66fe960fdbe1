// log: y = ln(x) (NaN for x < 0, -inf at 0).  dx = g / x.
#include <cmath>

#include "ops/builtin_ops.hpp"
#include "ops/elementwise/unary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<NoAttrs> make_log_op() {
  return {
      .name = "log",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            if (ctx.needs_input_grad(0)) ctx.save("x", ctx.input(0));
            return detail::map_floating(ctx.op_name(), ctx.input(0), [](auto v) { return std::log(v); });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        return {g / ctx.saved("x")};
      },
      .samples = [] { return samples::unary(0.5, 2.0); },  // positive: inside the domain
      .elementary = true,
      .summary = "natural logarithm",
  };
}

Tensor log(const Tensor& x) { return call(builtin_ops().log, {x}); }

}  // namespace tg
