// relu: y = max(x, 0).  dx = g where x > 0 (equivalently y > 0), else 0 (also at 0).
#include "ops/builtin_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/elementwise/unary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<NoAttrs> make_relu_op() {
  return {
      .name = "relu",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            ctx.save_output();
            return detail::map_numeric(ctx.op_name(), ctx.input(0), [](auto v) {
              using T = decltype(v);
              return v > T(0) || v != v ? v : T(0);  // NaN propagates
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        return {relu_backward(g, ctx.output())};
      },
      .samples = [] { return samples::unary(-1.0, 1.0, /*distinct=*/true); },  // away from the kink at 0
      .elementary = true,
      .summary = "max(x, 0); gradient 0 at 0",
  };
}

Tensor relu(const Tensor& x) { return call(builtin_ops().relu, {x}); }

}  // namespace tg
