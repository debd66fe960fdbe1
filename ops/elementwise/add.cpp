// add: y = a + b (broadcasting; int64 wraps around).  dy/da = 1, dy/db = 1, each summed back to its shape.
#include "ops/builtin_ops.hpp"
#include "ops/elementwise/binary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "tensor/checked_math.hpp"

namespace tg {

OpDef<NoAttrs> make_add_op() {
  return {
      .name = "add",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            return detail::broadcast_binary(ctx.op_name(), ctx.input(0), ctx.input(1),
                                            [](auto x, auto y) { return wrapping_add(x, y); });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        return {ctx.needs_input_grad(0) ? detail::reduce_grad(ctx, 0, g) : Tensor(),
                ctx.needs_input_grad(1) ? detail::reduce_grad(ctx, 1, g) : Tensor()};
      },
      .samples = [] { return samples::binary_broadcast(); },
      .elementary = true,
      .summary = "a + b, broadcasting",
  };
}

Tensor add(const Tensor& a, const Tensor& b) { return call(builtin_ops().add, {a, b}); }

}  // namespace tg
