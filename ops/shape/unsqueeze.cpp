// unsqueeze: y = x with a new size-1 dim inserted at `dim` in [-(rank+1), rank] (a view).
// dx = squeeze(g, dim).
#include "ops/builtin_ops.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

OpDef<std::int64_t> make_unsqueeze_op() {
  return {
      .name = "unsqueeze",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const std::int64_t& attrs) {
            const Tensor& x = ctx.input(0);
            const std::int64_t d = wrap_dim(attrs, x.dim() + 1, ctx.op_name());
            Shape shape = x.shape();
            Strides strides = x.strides();
            // Any stride is valid for a size-1 dim; this one keeps a contiguous input contiguous.
            const std::int64_t stride =
                d < x.dim() ? shape[static_cast<std::size_t>(d)] * strides[static_cast<std::size_t>(d)] : 1;
            shape.insert(shape.begin() + d, 1);
            strides.insert(strides.begin() + d, stride);
            return raw::as_strided(x, shape, strides, x.offset());
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const std::int64_t& dim) -> std::vector<Tensor> {
        const auto rank = static_cast<std::int64_t>(ctx.input_shape(0).size());
        return {squeeze(g, wrap_dim(dim, rank + 1, ctx.op_name()))};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 24);
            return std::vector<OpSample<std::int64_t>>{
                {"[2, 3] at 1", {samples::arg({2, 3}, gen)}, std::int64_t{1}},
                {"[2, 3] at -1", {samples::arg({2, 3}, gen)}, std::int64_t{-1}},
                {"[3] at 0", {samples::arg({3}, gen)}, std::int64_t{0}},
                {"[] at 0", {samples::arg({}, gen)}, std::int64_t{0}},
                {"[0, 3] at 1 (empty)", {samples::arg({0, 3}, gen)}, std::int64_t{1}},
            };
          },
      .elementary = true,
      .summary = "insert a size-1 dim (view)",
  };
}

Tensor unsqueeze(const Tensor& x, std::int64_t dim) { return call(builtin_ops().unsqueeze, {x}, dim); }

}  // namespace tg
