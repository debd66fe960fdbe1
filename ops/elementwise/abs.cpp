// abs: y = |x| (int64: |INT64_MIN| wraps to itself).  dx = g * sign(x), sign(0) = 0.
#include <cmath>
#include <type_traits>

#include "ops/builtin_ops.hpp"
#include "ops/elementwise/unary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "tensor/checked_math.hpp"

namespace tg {

OpDef<NoAttrs> make_abs_op() {
  return {
      .name = "abs",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            if (ctx.needs_input_grad(0)) ctx.save("x", ctx.input(0));
            return detail::map_numeric(ctx.op_name(), ctx.input(0), [](auto v) {
              if constexpr (std::is_integral_v<decltype(v)>) {
                return v < 0 ? wrapping_neg(v) : v;
              } else {
                return std::abs(v);  // also maps -0.0 to +0.0
              }
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        // sign(x) is piecewise constant: a raw tensor, no gradient of its own.
        const Tensor sign = detail::map_floating("abs backward", ctx.saved("x"), [](auto v) {
          using T = decltype(v);
          return v > 0 ? T(1) : v < 0 ? T(-1) : T(0);
        });
        return {g * sign};
      },
      .samples = [] { return samples::unary(-1.0, 1.0, /*distinct=*/true); },  // away from the kink at 0
      .elementary = true,
      .summary = "|x|; gradient 0 at 0",
  };
}

Tensor abs(const Tensor& x) { return call(builtin_ops().abs, {x}); }

}  // namespace tg
