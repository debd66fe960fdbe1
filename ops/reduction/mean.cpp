// mean: y = sum of x over dims / n, n = number of reduced elements (NaN for an empty block).
// dx = g / n, broadcast back over the reduced dims.
// Reference: sum over the dims divided by the product of their sizes (0 / 0 = NaN when empty).
#include <limits>

#include "ops/builtin_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/reduce_attrs.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

namespace {

Tensor mean_composition(std::span<const Tensor> in, const detail::ReduceAttrs& a) {
  const Tensor& x = in[0];
  double count = 1.0;
  for (const std::int64_t d : wrap_dims(a.dims, x.dim(), "mean reference")) count *= static_cast<double>(x.size(d));
  return sum(x, a.dims, a.keepdim) / count;
}

}  // namespace

OpDef<detail::ReduceAttrs> make_mean_op() {
  return {
      .name = "mean",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const detail::ReduceAttrs& attrs) {
            const Tensor& x = ctx.input(0);
            const auto dims = wrap_dims(attrs.dims, x.dim(), ctx.op_name());
            visit_floating(x.dtype(), ctx.op_name(), [](auto) {});  // integer means would truncate
            return detail::sum_forward(ctx.op_name(), x, dims, attrs.keepdim, true);
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g,
                     const detail::ReduceAttrs& attrs) -> std::vector<Tensor> {
        const Shape& shape = ctx.input_shape(0);
        const auto dims = wrap_dims(attrs.dims, static_cast<std::int64_t>(shape.size()), ctx.op_name());
        std::int64_t count = 1;
        for (auto d : dims) count *= shape[d];
        // count == 0 means the input is empty, and so is its gradient: the scale is moot.
        const double scale = count == 0 ? 0.0 : 1.0 / static_cast<double>(count);
        return {detail::expand_reduced_grad(g, shape, attrs) * scale};
      },
      .reference = mean_composition,
      .samples =
          [] {
            Generator gen(samples::kSeed + 11);
            Tensor base = samples::arg({4, 3, 2}, gen);
            Tensor strided = raw::as_strided(base.detach(), {2, 3, 4}, {1, 2, 6}, 0).set_requires_grad(true);
            return std::vector<OpSample<detail::ReduceAttrs>>{
                {"all dims", {samples::arg({3, 4}, gen)}, detail::ReduceAttrs{{}, false}},
                {"dim 1", {samples::arg({2, 3, 4}, gen)}, detail::ReduceAttrs{{1}, false}},
                {"dims {0, -1} keepdim", {samples::arg({2, 3, 4}, gen)}, detail::ReduceAttrs{{0, -1}, true}},
                {"non-contiguous dim 2", {strided}, detail::ReduceAttrs{{2}, false}},
                {"0-d", {samples::arg({}, gen)}, detail::ReduceAttrs{{}, false}},
                // The mean of nothing is 0 / 0 = NaN, as in PyTorch; an empty reduced dim gives an
                // empty result.
                {.label = "[0, 3] all dims (empty: NaN)",
                 .inputs = {samples::arg({0, 3}, gen)},
                 .attrs = detail::ReduceAttrs{{}, false},
                 .expected = full({}, std::numeric_limits<double>::quiet_NaN(), {.dtype = DType::Float64})},
                {.label = "[0, 3] dim 0 (empty: NaN)",
                 .inputs = {samples::arg({0, 3}, gen)},
                 .attrs = detail::ReduceAttrs{{0}, false},
                 .expected = full({3}, std::numeric_limits<double>::quiet_NaN(), {.dtype = DType::Float64})},
                {"[3, 0] dim 0 (empty result)", {samples::arg({3, 0}, gen)}, detail::ReduceAttrs{{0}, false}},
                {.label = "[2, 0, 3] dim 1 (empty middle dim: NaN)",
                 .inputs = {samples::arg({2, 0, 3}, gen)},
                 .attrs = detail::ReduceAttrs{{1}, false},
                 .expected = full({2, 3}, std::numeric_limits<double>::quiet_NaN(), {.dtype = DType::Float64})},
            };
          },
      .summary = "mean over dims (empty = all), keepdim",
  };
}

Tensor mean(const Tensor& x, const Dims& dims, bool keepdim) {
  return call(builtin_ops().mean, {x}, detail::ReduceAttrs{dims, keepdim});
}

}  // namespace tg
