// gather_backward: the adjoint of gather (a scatter-add into zeros).
// y = zeros(input_shape); y[i0, .., index[i0, .., in], .., in] += g[i0, .., in] along dim,
// accumulated serially in row-major order of g (deterministic).
// dg = gather(gg, dim, index); the index gets no gradient.
// Reference: along dim (moved last), each row of g times the one-hot matrix of its row
// of index, by matmul; then zeros padded where index is shorter than input_shape.
#include "ops/builtin_ops.hpp"
#include "ops/compose.hpp"
#include "ops/linalg.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape/indexing.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

namespace {

Tensor gather_backward_composition(std::span<const Tensor> in, const detail::IndexBackwardAttrs& a) {
  const Tensor& g = in[0];
  const Tensor selectors = compose::one_hot(transpose(in[1], a.dim, -1), a.input_shape[static_cast<std::size_t>(a.dim)],
                                            g.dtype());        // [.., k, size]
  const Tensor rows = unsqueeze(transpose(g, a.dim, -1), -2);  // [.., 1, k]
  const Tensor scattered = transpose(squeeze(matmul(rows, selectors), -2), a.dim, -1);
  // The other dims of index may be shorter than the input's: the rest is zeros.
  std::vector<std::int64_t> pads;
  for (auto d = static_cast<std::int64_t>(a.input_shape.size()) - 1; d >= 0; --d) {
    pads.insert(pads.end(), {0, a.input_shape[static_cast<std::size_t>(d)] - scattered.size(d)});
  }
  return pad(scattered, pads);
}

}  // namespace

OpDef<detail::IndexBackwardAttrs> make_gather_backward_op() {
  return {
      .name = "gather_backward",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const detail::IndexBackwardAttrs& a) {
            const Tensor& g = ctx.input(0);
            const Tensor& index = ctx.input(1);
            TG_CHECK(a.dim >= 0 && a.dim < static_cast<std::int64_t>(a.input_shape.size()), IndexError,
                     "{}: dim {} is out of range for shape {}", ctx.op_name(), a.dim, a.input_shape);
            TG_CHECK(g.shape() == index.shape(), ShapeError, "{}: gradient {} and index {} differ in shape",
                     ctx.op_name(), g.shape(), index.shape());
            detail::check_gather_index(ctx.op_name(), a.input_shape, a.dim, index);
            Tensor out = zeros(a.input_shape, {.dtype = g.dtype()});
            Strides out_walk = out.strides();
            const std::int64_t out_dim_stride = out_walk[static_cast<std::size_t>(a.dim)];
            out_walk[static_cast<std::size_t>(a.dim)] = 0;
            const auto* pi = static_cast<const std::int64_t*>(index.impl().storage->data());
            visit_numeric(g.dtype(), ctx.op_name(), [&](auto tag) {
              using T = decltype(tag);
              T* po = out.data<T>();
              const T* pg = static_cast<const T*>(g.impl().storage->data());
              for_each_row<3>(
                  index.shape(), {out_walk, index.strides(), g.strides()}, {0, index.offset(), g.offset()},
                  [&](const std::array<std::int64_t, 3>& off, std::int64_t n, const std::array<std::int64_t, 3>& inc) {
                    for (std::int64_t k = 0; k < n; ++k) {
                      T& y = po[off[0] + k * inc[0] + pi[off[1] + k * inc[1]] * out_dim_stride];
                      y = wrapping_add(y, pg[off[2] + k * inc[2]]);
                    }
                  },
                  detail::kSerialGrain);
            });
            ctx.save("index", index);
            return out;
          },
      .backward = [](const BackwardContext& ctx, const Tensor& gg,
                     const detail::IndexBackwardAttrs& attrs) -> std::vector<Tensor> {
        return {gather(gg, attrs.dim, ctx.saved("index")), Tensor()};
      },
      .reference = gather_backward_composition,
      .samples =
          [] {
            Generator gen(samples::kSeed + 33);
            return std::vector<OpSample<detail::IndexBackwardAttrs>>{
                {"[3, 2] into [3, 4] dim 1",
                 {samples::arg({3, 2}, gen), from_vector(std::vector<std::int64_t>{3, 0, 1, 1, 2, 0}, {3, 2})},
                 detail::IndexBackwardAttrs{.input_shape = {3, 4}, .dim = 1}},
                {"[2, 3] into [3, 3] dim 0 (repeats)",
                 {samples::arg({2, 3}, gen), from_vector(std::vector<std::int64_t>{2, 2, 0, 2, 1, 0}, {2, 3})},
                 detail::IndexBackwardAttrs{.input_shape = {3, 3}, .dim = 0}},
                {.label = "[3, 0] into [3, 4] dim 1 (empty: zeros)",
                 .inputs = {samples::arg({3, 0}, gen), from_vector(std::vector<std::int64_t>{}, {3, 0})},
                 .attrs = detail::IndexBackwardAttrs{.input_shape = {3, 4}, .dim = 1},
                 .expected = zeros({3, 4}, {.dtype = DType::Float64})},
            };
          },
      .summary = "adjoint of gather: scatter-add into zeros",
  };
}

Tensor gather_backward(const Tensor& g, const Shape& input_shape, std::int64_t dim, const Tensor& index) {
  return call(builtin_ops().gather_backward, {g, index},
              detail::IndexBackwardAttrs{.input_shape = input_shape, .dim = dim});
}

}  // namespace tg
