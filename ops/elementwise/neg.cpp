// neg: y = -x (int64 wraps around at INT64_MIN).  dx = -g.
#include "ops/builtin_ops.hpp"
#include "ops/elementwise/unary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "tensor/checked_math.hpp"

namespace tg {

OpDef<NoAttrs> make_neg_op() {
  return {
      .name = "neg",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            return detail::map_numeric(ctx.op_name(), ctx.input(0), [](auto v) { return wrapping_neg(v); });
          },
      .backward = [](const BackwardContext&, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        return {neg(g)};
      },
      .samples = [] { return samples::unary(); },
      .elementary = true,
      .summary = "-x",
  };
}

Tensor neg(const Tensor& x) { return call(builtin_ops().neg, {x}); }

}  // namespace tg
