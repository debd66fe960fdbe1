// div: y = a / b (broadcasting, true division: int64 / int64 gives float32).
// da = g / b, db = -g * a / b^2 = -g * y / b, each summed back to its shape.
#include "ops/builtin_ops.hpp"
#include "ops/elementwise/binary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<NoAttrs> make_div_op() {
  return {
      .name = "div",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            if (ctx.needs_input_grad(0) || ctx.needs_input_grad(1)) ctx.save("b", ctx.input(1));
            if (ctx.needs_input_grad(1)) ctx.save_output();
            return detail::broadcast_binary(
                ctx.op_name(), ctx.input(0), ctx.input(1), [](auto x, auto y) { return x / y; },
                /*to_float=*/true);
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        const Tensor& b = ctx.saved("b");
        return {ctx.needs_input_grad(0) ? detail::reduce_grad(ctx, 0, g / b) : Tensor(),
                ctx.needs_input_grad(1) ? detail::reduce_grad(ctx, 1, -(g * ctx.output()) / b) : Tensor()};
      },
      .samples =
          [] {
            // Divisors kept away from 0 so finite differences stay accurate.
            Generator gen(samples::kSeed + 40);
            std::vector<OpSample<NoAttrs>> out;
            for (const auto& [sa, sb] : samples::binary_broadcast_shapes()) {
              out.push_back(
                  {fmt::format("{} / {}", sa, sb), {samples::arg(sa, gen), samples::arg(sb, gen, 0.5, 2.0)}, {}});
            }
            return out;
          },
      .elementary = true,
      .summary = "a / b, broadcasting; true division (int64 / int64 gives float32)",
  };
}

Tensor div(const Tensor& a, const Tensor& b) { return call(builtin_ops().div, {a, b}); }

}  // namespace tg
