// neg: y = -x (int64 wraps around at INT64_MIN).  dx = -g.
#include "ops/elementwise/unary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "tensor/checked_math.hpp"

namespace tg {

OpDef make_neg_op() {
  return {
      .name = "neg",
      .arity = 1,
      .forward = [](ForwardContext& ctx) {
        return detail::map_numeric(ctx.op_name(), ctx.input(0), [](auto v) { return wrapping_neg(v); });
      },
      .backward = [](const BackwardContext&, const Tensor& g) -> std::vector<Tensor> { return {neg(g)}; },
      .samples = [] { return samples::unary(); },
      .summary = "-x",
  };
}

Tensor neg(const Tensor& x) {
  static const OpDef& op = registry().get("neg");
  return call(op, {x});
}

}  // namespace tg
