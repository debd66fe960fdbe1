// reshape: a view with a new shape when the strides allow, else a contiguous copy.
// dx = reshape(g, x.shape).
#include "ops/builtin_ops.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

OpDef<Shape> make_reshape_op() {
  return {
      .name = "reshape",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const Shape& shape) {
            const Tensor& x = ctx.input(0);
            const Shape target = infer_reshape(x.shape(), shape, ctx.op_name());
            Strides strides = view_strides(x.shape(), x.strides(), target);
            if (!strides.empty() || target.empty()) {
              if (target.empty()) strides = {};
              return raw::as_strided(x, target, strides, x.offset());
            }
            const Tensor copy = raw::contiguous(x);
            return raw::as_strided(copy, target, contiguous_strides(target), 0);
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const Shape&) -> std::vector<Tensor> {
        return {reshape(g, ctx.input_shape(0))};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 20);
            Tensor strided =
                raw::as_strided(samples::arg({4, 3}, gen).detach(), {3, 4}, {1, 3}, 0).set_requires_grad(true);
            return std::vector<OpSample<Shape>>{
                {"[2, 3, 4] -> [6, -1]", {samples::arg({2, 3, 4}, gen)}, Shape{6, -1}},
                {"[5] -> [1, 5, 1]", {samples::arg({5}, gen)}, Shape{1, 5, 1}},
                {"[] -> [1]", {samples::arg({}, gen)}, Shape{1}},
                {"transposed [3, 4] -> [12] (copies)", {strided}, Shape{12}},
                {"[2, 0, 3] -> [0, 6] (empty)", {samples::arg({2, 0, 3}, gen)}, Shape{0, 6}},
                {"[0, 3] -> [3, 0, 1] (empty)", {samples::arg({0, 3}, gen)}, Shape{3, 0, 1}},
            };
          },
      .elementary = true,
      .summary = "new shape, view when strides allow (-1 infers a dim)",
  };
}

Tensor reshape(const Tensor& x, const Shape& shape) { return call(builtin_ops().reshape, {x}, shape); }

}  // namespace tg
