// pow: y = a ^ b (broadcasting; int64 operands give float32, as for div).
// da = g * b * a^(b - 1), db = g * y * log(a) (defined for a > 0), each summed back.
#include <cmath>

#include "ops/elementwise/binary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef make_pow_op() {
  return {
      .name = "pow",
      .arity = 2,
      .forward = [](ForwardContext& ctx) {
        if (ctx.needs_input_grad(0) || ctx.needs_input_grad(1)) {
          ctx.save(ctx.input(0));
          ctx.save(ctx.input(1));
        }
        if (ctx.needs_input_grad(1)) ctx.save_output();
        return detail::broadcast_binary(ctx.op_name(), ctx.input(0), ctx.input(1),
                                        [](auto x, auto y) { return std::pow(x, y); }, /*to_float=*/true);
      },
      .backward = [](const BackwardContext& ctx, const Tensor& g) -> std::vector<Tensor> {
        const Tensor& a = ctx.saved(0);
        const Tensor& b = ctx.saved(1);
        return {ctx.needs_input_grad(0) ? detail::reduce_grad(ctx, 0, g * b * pow(a, b - 1.0)) : Tensor(),
                ctx.needs_input_grad(1) ? detail::reduce_grad(ctx, 1, g * ctx.output() * log(a)) : Tensor()};
      },
      .samples = [] { return samples::binary_broadcast(0.5, 2.0); },  // positive bases: log(a) exists
      .summary = "a ^ b, broadcasting (float result)",
  };
}

Tensor pow(const Tensor& base, const Tensor& exponent) {
  static const OpDef& op = registry().get("pow");
  return call(op, {base, exponent});
}

}  // namespace tg
