// rsqrt: y = 1 / sqrt(x) (NaN for x < 0, inf at 0).  dx = -g y^3 / 2 (the saved output).
// Reference: 1 / sqrt(x) with ops.
#include <cmath>

#include "ops/elementwise/activation_ops.hpp"
#include "ops/elementwise/unary.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<NoAttrs> make_rsqrt_op() {
  return {
      .name = "rsqrt",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            ctx.save_output();
            return detail::map_floating(ctx.op_name(), ctx.input(0), [](auto v) {
              using T = decltype(v);
              return T(1) / std::sqrt(v);
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        const Tensor y = ctx.output();
        return {g * (y * y * y * -0.5)};
      },
      .reference = [](std::span<const Tensor> in, const NoAttrs&) { return 1.0 / sqrt(in[0]); },
      .samples = [] { return samples::unary(0.5, 2.0); },  // positive: away from the pole at 0
      .summary = "1 / sqrt(x)",
  };
}

Tensor rsqrt(const Tensor& x) { return call(activation_ops().rsqrt, {x}); }

}  // namespace tg
