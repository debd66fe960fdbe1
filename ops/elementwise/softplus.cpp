// softplus: y = log(1 + e^(b x)) / b, and y = x where b x > threshold (PyTorch's linear
// region, which keeps e^(b x) from overflowing).
//   dx = g sigmoid(b x), and g where b x > threshold (the saved input; sigmoid is an op, so
//   the rule differentiates again).
// Reference: where(b x > threshold, x, log1p(exp(b x)) / b).
#include <cmath>

#include "ops/elementwise/activation_map.hpp"
#include "ops/elementwise/activation_ops.hpp"

namespace tg {

OpDef<SoftplusAttrs> make_softplus_op() {
  return {
      .name = "softplus",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const SoftplusAttrs& attrs) {
            if (ctx.needs_input_grad(0)) ctx.save("x", ctx.input(0));
            return visit_floating(ctx.input(0).dtype(), ctx.op_name(), [&](auto tag) {
              using T = decltype(tag);
              const T beta = static_cast<T>(attrs.beta);
              const T threshold = static_cast<T>(attrs.threshold);
              return kernels::unary_map<T, T>(ctx.input(0), [beta, threshold](T v) {
                const T bx = v * beta;
                return bx > threshold ? v : std::log1p(std::exp(bx)) / beta;
              });
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const SoftplusAttrs& attrs) -> std::vector<Tensor> {
        const Tensor bx = ctx.saved("x") * attrs.beta;
        return {where(bx > attrs.threshold, g, g * sigmoid(bx))};
      },
      .reference =
          [](std::span<const Tensor> in, const SoftplusAttrs& attrs) {
            const Tensor bx = in[0] * attrs.beta;
            return where(bx > attrs.threshold, in[0], log1p(exp(bx)) / attrs.beta);
          },
      .samples =
          [] {
            // beta 2, threshold 1: the linear region starts at x = 0.5, inside the samples.
            return detail::joined(
                detail::unary_samples(samples::unary(-3.0, 3.0), SoftplusAttrs{}, "default"),
                detail::unary_samples(samples::unary(-1.0, 1.0), SoftplusAttrs{.beta = 2.0, .threshold = 1.0},
                                      "beta 2, threshold 1"));
          },
      .summary = "log(1 + e^(beta x)) / beta, linear above threshold",
  };
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  return call(activation_ops().softplus, {x}, {.beta = beta, .threshold = threshold});
}

}  // namespace tg
