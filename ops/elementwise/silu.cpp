// silu: y = x sigmoid(x) = x / (1 + e^-x).  dx = g s (1 + x (1 - s)), s = sigmoid(x) of the
// saved input: the gradient map silu_backward(g, x), an op whose own backward differentiates
// again. The float32 forward is one pass of the SIMD kernel (activation_math.hpp).
// Reference: x * sigmoid(x).
#include "ops/elementwise/activation_map.hpp"
#include "ops/elementwise/activation_ops.hpp"

namespace tg {

OpDef<NoAttrs> make_silu_op() {
  return {
      .name = "silu",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            if (ctx.needs_input_grad(0)) ctx.save("x", ctx.input(0));
            return detail::map_activation(ctx.op_name(), ctx.input(0), kernels::FloatActivation::Silu,
                                          [](auto v) { return kernels::silu_value(v); });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        return {silu_backward(g, ctx.saved("x"))};
      },
      .reference = [](std::span<const Tensor> in, const NoAttrs&) { return in[0] * sigmoid(in[0]); },
      .samples = [] { return samples::unary(-4.0, 4.0); },
      .summary = "x sigmoid(x) (swish)",
  };
}

Tensor silu(const Tensor& x) { return call(activation_ops().silu, {x}); }

}  // namespace tg
