// index_select: y = x indexed along dim by a 1-D int64 index, y[..., i, ...] = x[..., index[i], ...].
// dx = index_select_backward(g): zeros of x's shape with g's slices added at index[i]
// (repeated indices accumulate). The index gets no gradient.
#include "ops/builtin_ops.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape/indexing.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

OpDef<std::int64_t> make_index_select_op() {
  return {
      .name = "index_select",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const std::int64_t& dim) {
            const Tensor& x = ctx.input(0);
            const Tensor& index = ctx.input(1);
            TG_CHECK(x.dim() >= 1, ShapeError, "{}: cannot index a 0-d tensor", ctx.op_name());
            TG_CHECK(index.dim() == 1, ShapeError, "{}: index must be 1-D, got shape {}", ctx.op_name(), index.shape());
            const std::int64_t d = wrap_dim(dim, x.dim(), ctx.op_name());
            detail::check_index_values(ctx.op_name(), index, d, x.size(d));
            const auto idx = index.to_vector_as<std::int64_t>();
            Shape shape = x.shape();
            shape[static_cast<std::size_t>(d)] = static_cast<std::int64_t>(idx.size());
            Tensor out = empty(shape, {.dtype = x.dtype()});
            for (std::size_t i = 0; i < idx.size(); ++i) {
              raw::copy_into(detail::select_view(out, d, static_cast<std::int64_t>(i)),
                             detail::select_view(x, d, idx[i]));
            }
            ctx.save("index", index);
            return out;
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const std::int64_t& dim) -> std::vector<Tensor> {
        const Shape& in = ctx.input_shape(0);
        const std::int64_t d = wrap_dim(dim, static_cast<std::int64_t>(in.size()), ctx.op_name());
        return {index_select_backward(g, in, d, ctx.saved("index")), Tensor()};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 30);
            const auto index = [](std::vector<std::int64_t> v) {
              const auto n = static_cast<std::int64_t>(v.size());
              return from_vector(v, {n});
            };
            return std::vector<OpSample<std::int64_t>>{
                {"[4, 3] rows (2, 0, 3)", {samples::arg({4, 3}, gen), index({2, 0, 3})}, std::int64_t{0}},
                {"[2, 5] cols (4, 1, 1, 4) repeated",
                 {samples::arg({2, 5}, gen), index({4, 1, 1, 4})},
                 std::int64_t{-1}},
                {"[2, 3, 2] dim 1 empty index", {samples::arg({2, 3, 2}, gen), index({})}, std::int64_t{1}},
            };
          },
      .elementary = true,
      .summary = "select entries along a dim by a 1-D int64 index",
  };
}

Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index) {
  return call(builtin_ops().index_select, {x, index}, dim);
}

}  // namespace tg
