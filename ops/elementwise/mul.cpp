// mul: y = a * b (broadcasting; int64 wraps around).  da = g * b, db = g * a, each summed back to its shape.
#include "ops/builtin_ops.hpp"
#include "ops/elementwise/binary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "tensor/checked_math.hpp"

namespace tg {

OpDef<NoAttrs> make_mul_op() {
  return {
      .name = "mul",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            // Each gradient needs the other operand only.
            if (ctx.needs_input_grad(1)) ctx.save("a", ctx.input(0));
            if (ctx.needs_input_grad(0)) ctx.save("b", ctx.input(1));
            return detail::broadcast_binary(ctx.op_name(), ctx.input(0), ctx.input(1),
                                            [](auto x, auto y) { return wrapping_mul(x, y); });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        const Tensor a = ctx.needs_input_grad(1) ? ctx.saved("a") : Tensor();
        const Tensor b = ctx.needs_input_grad(0) ? ctx.saved("b") : Tensor();
        return {ctx.needs_input_grad(0) ? detail::reduce_grad(ctx, 0, g * b) : Tensor(),
                ctx.needs_input_grad(1) ? detail::reduce_grad(ctx, 1, g * a) : Tensor()};
      },
      .samples = [] { return samples::binary_broadcast(); },
      .elementary = true,
      .summary = "a * b, broadcasting",
  };
}

Tensor mul(const Tensor& a, const Tensor& b) { return call(builtin_ops().mul, {a, b}); }

}  // namespace tg
