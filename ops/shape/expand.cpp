// expand: broadcast x to a larger shape as a stride-0 view (-1 keeps a dim).
// dx = sum_to(g, x.shape).
#include "ops/builtin_ops.hpp"
#include "ops/reduction.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

OpDef<Shape> make_expand_op() {
  return {
      .name = "expand",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const Shape& attrs) {
            const Tensor& x = ctx.input(0);
            Shape target = attrs;
            TG_CHECK(target.size() >= x.shape().size(), ShapeError, "{}: cannot expand shape {} to fewer dims {}",
                     ctx.op_name(), x.shape(), target);
            const std::size_t lead = target.size() - x.shape().size();
            for (std::size_t i = 0; i < target.size(); ++i) {
              if (target[i] == -1) {
                TG_CHECK(i >= lead, ShapeError, "{}: -1 is not allowed for the new leading dim {} in {}", ctx.op_name(),
                         i, target);
                target[i] = x.shape()[i - lead];
              }
            }
            return raw::as_strided(x, target, broadcast_strides(x.shape(), x.strides(), target, ctx.op_name()),
                                   x.offset());
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const Shape&) -> std::vector<Tensor> {
        return {sum_to(g, ctx.input_shape(0))};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 21);
            return std::vector<OpSample<Shape>>{
                {"[3, 1] -> [3, 4]", {samples::arg({3, 1}, gen)}, Shape{3, 4}},
                {"[4] -> [2, 3, 4]", {samples::arg({4}, gen)}, Shape{2, 3, 4}},
                {"[] -> [2, 2]", {samples::arg({}, gen)}, Shape{2, 2}},
                {"[2, 1] -> [-1, 3]", {samples::arg({2, 1}, gen)}, Shape{-1, 3}},
                {"[0, 1] -> [0, 4] (empty)", {samples::arg({0, 1}, gen)}, Shape{0, 4}},
                {"[1, 3] -> [2, 0, 3] (to empty)", {samples::arg({1, 3}, gen)}, Shape{2, 0, 3}},
            };
          },
      .elementary = true,
      .summary = "broadcast to a larger shape (stride-0 view)",
  };
}

Tensor expand(const Tensor& x, const Shape& shape) { return call(builtin_ops().expand, {x}, shape); }

}  // namespace tg
