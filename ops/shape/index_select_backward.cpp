// index_select_backward: the adjoint of index_select (an index_add into zeros).
// y = zeros(input_shape); y[..., index[i], ...] += g[..., i, ...] along dim, in order of i.
// dg = index_select(gg, dim, index); the index gets no gradient.
// Reference: g (dim moved last) times the one-hot matrix of index, [k, size], by matmul.
#include "ops/builtin_ops.hpp"
#include "ops/compose.hpp"
#include "ops/linalg.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape/indexing.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

namespace {

Tensor index_select_backward_composition(std::span<const Tensor> in, const detail::IndexBackwardAttrs& a) {
  const Tensor& g = in[0];
  const Tensor selector = compose::one_hot(in[1], a.input_shape[static_cast<std::size_t>(a.dim)], g.dtype());
  return transpose(matmul(transpose(g, a.dim, -1), selector), a.dim, -1);
}

}  // namespace

OpDef<detail::IndexBackwardAttrs> make_index_select_backward_op() {
  return {
      .name = "index_select_backward",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const detail::IndexBackwardAttrs& a) {
            const Tensor& g = ctx.input(0);
            const Tensor& index = ctx.input(1);
            const auto rank = static_cast<std::int64_t>(a.input_shape.size());
            TG_CHECK(index.dim() == 1, ShapeError, "{}: index must be 1-D, got shape {}", ctx.op_name(), index.shape());
            TG_CHECK(a.dim >= 0 && a.dim < rank, IndexError, "{}: dim {} is out of range for shape {}", ctx.op_name(),
                     a.dim, a.input_shape);
            Shape expected = a.input_shape;
            expected[static_cast<std::size_t>(a.dim)] = index.numel();
            TG_CHECK(g.shape() == expected, ShapeError,
                     "{}: gradient {} does not match input shape {} indexed by {} entries", ctx.op_name(), g.shape(),
                     a.input_shape, index.numel());
            detail::check_index_values(ctx.op_name(), index, a.dim, a.input_shape[static_cast<std::size_t>(a.dim)]);
            const auto idx = index.to_vector_as<std::int64_t>();
            Tensor out = zeros(a.input_shape, {.dtype = g.dtype()});
            for (std::size_t i = 0; i < idx.size(); ++i) {
              detail::accumulate_into(detail::select_view(out, a.dim, idx[i]),
                                      detail::select_view(g, a.dim, static_cast<std::int64_t>(i)));
            }
            ctx.save("index", index);
            return out;
          },
      .backward = [](const BackwardContext& ctx, const Tensor& gg,
                     const detail::IndexBackwardAttrs& attrs) -> std::vector<Tensor> {
        return {index_select(gg, attrs.dim, ctx.saved("index")), Tensor()};
      },
      .reference = index_select_backward_composition,
      .samples =
          [] {
            Generator gen(samples::kSeed + 31);
            return std::vector<OpSample<detail::IndexBackwardAttrs>>{
                {"[3, 2] into [4, 2] at (3, 0, 3)",
                 {samples::arg({3, 2}, gen), from_vector(std::vector<std::int64_t>{3, 0, 3}, {3})},
                 detail::IndexBackwardAttrs{.input_shape = {4, 2}, .dim = 0}},
                {"[2, 2, 3] into [2, 5, 3] at (1, 4)",
                 {samples::arg({2, 2, 3}, gen), from_vector(std::vector<std::int64_t>{1, 4}, {2})},
                 detail::IndexBackwardAttrs{.input_shape = {2, 5, 3}, .dim = 1}},
                {.label = "[0, 2] into [4, 2] at () (empty: zeros)",
                 .inputs = {samples::arg({0, 2}, gen), from_vector(std::vector<std::int64_t>{}, {0})},
                 .attrs = detail::IndexBackwardAttrs{.input_shape = {4, 2}, .dim = 0},
                 .expected = zeros({4, 2}, {.dtype = DType::Float64})},
            };
          },
      .summary = "adjoint of index_select: index_add into zeros",
  };
}

Tensor index_select_backward(const Tensor& g, const Shape& input_shape, std::int64_t dim, const Tensor& index) {
  return call(builtin_ops().index_select_backward, {g, index},
              detail::IndexBackwardAttrs{.input_shape = input_shape, .dim = dim});
}

}  // namespace tg
