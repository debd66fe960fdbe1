// masked_fill: y = value where mask, else x; mask (bool) broadcasts to x's shape, and y
// has x's shape and dtype (value converted to it). One pass over x and mask.
// dx = g where the mask is false, 0 where it is true: masked_fill(g, mask, 0).
// Reference: where(mask, value, x).
#include "ops/elementwise.hpp"
#include "ops/kernels/math/elementwise_map.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape/mask_ops.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

OpDef<double> make_masked_fill_op() {
  return {
      .name = "masked_fill",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const double& value) {
            const Tensor& x = ctx.input(0);
            const Tensor& mask = ctx.input(1);
            TG_CHECK(mask.dtype() == DType::Bool, DTypeError, "{}: the mask must be bool, got {}", ctx.op_name(),
                     mask.dtype());
            TG_CHECK(broadcast_shapes(mask.shape(), x.shape(), ctx.op_name()) == x.shape(), ShapeError,
                     "{}: the mask of shape {} does not broadcast to the input's shape {}", ctx.op_name(), mask.shape(),
                     x.shape());
            if (ctx.needs_input_grad(0)) ctx.save("mask", mask);
            const Tensor fill = scalar_like(x, value).detach();
            return visit_dtype(x.dtype(), [&](auto tag) {
              using T = decltype(tag);
              return kernels::ternary_map<T, bool, T, T>(mask, x, fill, x.shape(),
                                                         [](bool m, T v, T f) { return m ? f : v; });
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const double&) -> std::vector<Tensor> {
        return {masked_fill(g, ctx.saved("mask"), 0.0), Tensor()};
      },
      .reference = [](std::span<const Tensor> in,
                      const double& value) { return where(in[1], scalar_like(in[0], value), in[0]); },
      .samples =
          [] {
            Generator gen(samples::kSeed + 522);
            // A fixed mix of true and false, so both the filled and the passed elements are checked.
            auto mask = [](const Shape& shape) {
              std::vector<double> bits(static_cast<std::size_t>(numel(shape)));
              for (std::size_t i = 0; i < bits.size(); ++i) bits[i] = (i * 7 + 3) % 5 < 2 ? 1.0 : 0.0;
              return from_vector(bits, shape, {.dtype = DType::Float64}).clone_as(DType::Bool);
            };
            Tensor base = samples::arg({4, 3}, gen);
            Tensor transposed = raw::as_strided(base.detach(), {3, 4}, {1, 3}, 0).set_requires_grad(true);
            return std::vector<OpSample<double>>{
                {"[3, 4], same-shape mask", {samples::arg({3, 4}, gen), mask({3, 4})}, -1e9},
                {"[2, 3, 4], mask [3, 1]", {samples::arg({2, 3, 4}, gen), mask({3, 1})}, 0.5},
                {"[3, 4] transposed, mask [4]", {transposed, mask({4})}, 2.0},
                {"[0, 4], mask [4] (empty)", {samples::arg({0, 4}, gen), mask({4})}, 1.0},
                {.label = "[3], mask [2, 3] (rejected: mask larger than input)",
                 .inputs = {samples::arg({3}, gen), mask({2, 3})},
                 .attrs = 1.0,
                 .rejects = &typeid(ShapeError)},
            };
          },
      .summary = "value where a bool mask (broadcast to x) is true, else x",
  };
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  return call(mask_ops().masked_fill, {x, mask}, value);
}

}  // namespace tg
