// sigmoid: y = 1 / (1 + e^-x).  dx = g * y * (1 - y) (the saved output).
// Reference: 1 / (1 + exp(-x)) with ops (the samples stay where e^-x cannot overflow).
#include <cmath>

#include "ops/builtin_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/elementwise/unary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

namespace {

Tensor sigmoid_composition(std::span<const Tensor> in) { return 1.0 / (1.0 + exp(-in[0])); }

}  // namespace

OpDef<NoAttrs> make_sigmoid_op() {
  return {
      .name = "sigmoid",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            ctx.save_output();
            return detail::map_floating(ctx.op_name(), ctx.input(0), [](auto v) {
              using T = decltype(v);
              // Evaluate e^-|x| only, so neither branch overflows.
              if (v >= T(0)) return T(1) / (T(1) + std::exp(-v));
              const T e = std::exp(v);
              return e / (T(1) + e);
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        const Tensor y = ctx.output();
        return {g * y * (1.0 - y)};
      },
      .reference = [](std::span<const Tensor> in, const NoAttrs&) { return sigmoid_composition(in); },
      .samples = [] { return samples::unary(-3.0, 3.0); },
      .summary = "logistic function 1 / (1 + e^-x)",
  };
}

Tensor sigmoid(const Tensor& x) { return call(builtin_ops().sigmoid, {x}); }

}  // namespace tg
