// relu_backward: dx = g where y > 0, else 0 (y = relu(x); y > 0 exactly where x > 0).
// relu's gradient map in one pass over g and y, with no mask tensor in between.
// Gradients: d/dg is the same map of gg, relu_backward(gg, y); y only selects, so its
// derivative is zero wherever it exists and none is returned.
// Reference: where(y > 0, g, 0).
#include <fmt/format.h>

#include "ops/builtin_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/kernels/math/elementwise_map.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

namespace {

Tensor relu_backward_composition(std::span<const Tensor> in) {
  const Tensor& g = in[0];
  const Tensor& y = in[1];
  return where(gt(y, scalar_like(y, 0.0)), g, scalar_like(g, 0.0));
}

}  // namespace

OpDef<NoAttrs> make_relu_backward_op() {
  return {
      .name = "relu_backward",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            const Tensor& g = ctx.input(0);
            const Tensor& y = ctx.input(1);
            TG_CHECK(g.shape() == y.shape(), ShapeError, "relu_backward: gradient {} and output {} differ in shape",
                     g.shape(), y.shape());
            TG_CHECK(g.dtype() == y.dtype(), DTypeError, "relu_backward: gradient is {} but output is {}", g.dtype(),
                     y.dtype());
            if (ctx.needs_input_grad(0)) ctx.save("y", y);
            return visit_floating(g.dtype(), ctx.op_name(), [&](auto tag) {
              using T = decltype(tag);
              return kernels::binary_map<T, T>(g, y, g.shape(), [](T gv, T yv) { return yv > T(0) ? gv : T(0); });
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& gg, const NoAttrs&) -> std::vector<Tensor> {
        return {ctx.needs_input_grad(0) ? relu_backward(gg, ctx.saved("y")) : Tensor(), Tensor()};
      },
      .reference = [](std::span<const Tensor> in, const NoAttrs&) { return relu_backward_composition(in); },
      .samples =
          [] {
            Generator gen(samples::kSeed + 61);
            std::vector<OpSample<NoAttrs>> out;
            for (const Shape& shape : {Shape{7}, Shape{3, 4}, Shape{2, 3, 5}, Shape{0, 3}}) {
              // y away from the kink at 0, and not differentiated (its gradient is zero).
              Tensor y = samples::distinct_arg(shape, gen).detach();
              out.push_back({fmt::format("{}", shape), {samples::arg(shape, gen), y}, {}});
            }
            return out;
          },
      .summary = "g where y > 0 else 0: relu's gradient map",
  };
}

Tensor relu_backward(const Tensor& grad, const Tensor& output) {
  return call(builtin_ops().relu_backward, {grad, output});
}

}  // namespace tg
