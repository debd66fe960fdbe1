// gather: y has the shape of index (int64, same rank as x) and
// y[i0, .., id, .., in] = x[i0, .., index[i0, .., in], .., in] along dim (PyTorch semantics).
// dx = gather_backward(g): zeros of x's shape with g scatter-added at the indexed places.
// The index gets no gradient.
#include "ops/builtin_ops.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape/indexing.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

OpDef<std::int64_t> make_gather_op() {
  return {
      .name = "gather",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const std::int64_t& attrs) {
            const Tensor& x = ctx.input(0);
            const Tensor& index = ctx.input(1);
            TG_CHECK(x.dim() >= 1, ShapeError, "{}: cannot gather from a 0-d tensor", ctx.op_name());
            const std::int64_t d = wrap_dim(attrs, x.dim(), ctx.op_name());
            detail::check_gather_index(ctx.op_name(), x.shape(), d, index);
            Tensor out = empty(index.shape(), {.dtype = x.dtype()});
            // Walk the index's shape; x is addressed with its own strides except along dim,
            // where the index value picks the position.
            Strides x_walk = x.strides();
            const std::int64_t x_dim_stride = x_walk[static_cast<std::size_t>(d)];
            x_walk[static_cast<std::size_t>(d)] = 0;
            const auto* pi = static_cast<const std::int64_t*>(index.impl().storage->data());
            visit_dtype(x.dtype(), [&](auto tag) {
              using T = decltype(tag);
              T* po = out.data<T>();
              const T* px = static_cast<const T*>(x.impl().storage->data());
              for_each_row<3>(
                  index.shape(), {out.strides(), index.strides(), x_walk}, {0, index.offset(), x.offset()},
                  [&](const std::array<std::int64_t, 3>& off, std::int64_t n, const std::array<std::int64_t, 3>& inc) {
                    for (std::int64_t k = 0; k < n; ++k) {
                      po[off[0] + k * inc[0]] = px[off[2] + k * inc[2] + pi[off[1] + k * inc[1]] * x_dim_stride];
                    }
                  });
            });
            ctx.save("index", index);
            return out;
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const std::int64_t& dim) -> std::vector<Tensor> {
        const Shape& in = ctx.input_shape(0);
        const std::int64_t d = wrap_dim(dim, static_cast<std::int64_t>(in.size()), ctx.op_name());
        return {gather_backward(g, in, d, ctx.saved("index")), Tensor()};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 32);
            const auto index = [](std::vector<std::int64_t> v, const Shape& shape) { return from_vector(v, shape); };
            return std::vector<OpSample<std::int64_t>>{
                {"[3, 4] dim 1 by [3, 2]",
                 {samples::arg({3, 4}, gen), index({3, 0, 1, 1, 2, 0}, {3, 2})},
                 std::int64_t{1}},
                {"[3, 4] dim 0 by [2, 4] (repeats)",
                 {samples::arg({3, 4}, gen), index({0, 2, 2, 1, 0, 0, 1, 2}, {2, 4})},
                 std::int64_t{0}},
                {"[2, 3, 2] dim -2 by [2, 1, 2]",
                 {samples::arg({2, 3, 2}, gen), index({2, 0, 1, 1}, {2, 1, 2})},
                 std::int64_t{-2}},
                {"[3, 4] dim 1 by [3, 0] (empty)", {samples::arg({3, 4}, gen), index({}, {3, 0})}, std::int64_t{1}},
                {"[0, 4] dim 1 by [0, 2] (empty)", {samples::arg({0, 4}, gen), index({}, {0, 2})}, std::int64_t{1}},
            };
          },
      .elementary = true,
      .summary = "pick entries along a dim by an int64 index of the same rank",
  };
}

Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index) {
  return call(builtin_ops().gather, {x, index}, dim);
}

}  // namespace tg
