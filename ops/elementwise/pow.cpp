// pow: y = a ^ b (broadcasting; int64 operands give float32, as for div).
// da = g * b * a^(b - 1), db = g * y * log(a), each summed back. At a = 0 these read 0 * inf
// or 0 * log(0); PyTorch's values are used there: da = 0 where b = 0, db = 0 where a = 0 and
// b >= 0 (the limits as b -> 0 and a -> +0), db = -inf for a = 0 and b < 0. The masked
// places are computed from a harmless input (a^0 instead of 0^-1, log(1) instead of log(0))
// rather than masked afterwards, so the gradients of these gradients stay finite too.
#include <cmath>

#include "ops/builtin_ops.hpp"
#include "ops/elementwise/binary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<NoAttrs> make_pow_op() {
  return {
      .name = "pow",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            if (ctx.needs_input_grad(0) || ctx.needs_input_grad(1)) {
              ctx.save("a", ctx.input(0));
              ctx.save("b", ctx.input(1));
            }
            if (ctx.needs_input_grad(1)) ctx.save_output();
            return detail::broadcast_binary(
                ctx.op_name(), ctx.input(0), ctx.input(1), [](auto x, auto y) { return std::pow(x, y); },
                /*to_float=*/true);
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        const Tensor& a = ctx.saved("a");
        const Tensor& b = ctx.saved("b");
        const Tensor base_is_zero = eq(a, scalar_like(a, 0.0));
        const Tensor no = scalar_tensor(0.0, {.dtype = DType::Bool});
        Tensor da, db;
        if (ctx.needs_input_grad(0)) {
          // b * a^(b-1) is 0 wherever b = 0 (a^(b-1) finite), except 0 * 0^-1: use exponent 1 there.
          const Tensor zero_to_zero = where(base_is_zero, eq(b, scalar_like(b, 0.0)), no);
          const Tensor safe_b = where(zero_to_zero, scalar_like(b, 1.0), b);
          da = detail::reduce_grad(ctx, 0, g * b * pow(a, safe_b - 1.0));
        }
        if (ctx.needs_input_grad(1)) {
          // y * log(a) with y = 0^b in {0, 1} for b >= 0: log(1) = 0 stands in for log(0) there.
          const Tensor masked = where(base_is_zero, ge(b, scalar_like(b, 0.0)), no);
          const Tensor safe_a = where(masked, scalar_like(a, 1.0), a);
          db = detail::reduce_grad(ctx, 1, g * ctx.output() * log(safe_a));
        }
        return {da, db};
      },
      .samples = [] { return samples::binary_broadcast(0.5, 2.0); },  // positive bases: log(a) exists
      .elementary = true,
      .summary = "a ^ b, broadcasting (float result)",
  };
}

Tensor pow(const Tensor& base, const Tensor& exponent) { return call(builtin_ops().pow, {base, exponent}); }

}  // namespace tg
