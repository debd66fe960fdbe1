// max: y = max of x over dims.  dx = g at the first maximal element of each reduced block
// (row-major order within the block, like the index torch.max(dim) returns), 0 elsewhere:
// dx = expand(g) * onehot, where the one-hot mask is a constant of the backward.
#include "ops/builtin_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/extremum.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<detail::ReduceAttrs> make_max_op() {
  return {
      .name = "max",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const detail::ReduceAttrs& attrs) {
            const Tensor& x = ctx.input(0);
            const auto dims = wrap_dims(attrs.dims, x.dim(), ctx.op_name());
            detail::check_nonempty_reduction(ctx.op_name(), x.shape(), dims);
            return visit_numeric(x.dtype(), ctx.op_name(), [&](auto tag) {
              using T = decltype(tag);
              Tensor out = empty(reduced_shape(x.shape(), dims, attrs.keepdim), {.dtype = x.dtype()});
              const auto rows = kernels::reduction_rows<T>(x, dims);
              // Backward needs only the winner's position in each row (one int64 per output).
              Tensor index = empty({rows.outer}, {.dtype = DType::Int64});
              detail::first_max_rows(rows, out.data<T>(), index.data<std::int64_t>());
              if (ctx.recording()) ctx.save("index", index);
              return out;
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g,
                     const detail::ReduceAttrs& attrs) -> std::vector<Tensor> {
        const Shape& shape = ctx.input_shape(0);
        const auto dims = wrap_dims(attrs.dims, static_cast<std::int64_t>(shape.size()), ctx.op_name());
        const std::int64_t* index = ctx.saved("index").data<std::int64_t>();
        const Tensor mask = detail::row_mask(shape, dims, ctx.input_dtype(0), ctx.op_name(),
                                             [index](std::int64_t r, auto* row) { row[index[r]] = 1; });
        return {detail::expand_reduced_grad(g, shape, attrs) * mask};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 12);
            Tensor base = samples::distinct_arg({4, 3, 2}, gen);
            Tensor strided = raw::as_strided(base.detach(), {2, 3, 4}, {1, 2, 6}, 0).set_requires_grad(true);
            std::vector<OpSample<detail::ReduceAttrs>> out{
                {"all dims", {samples::distinct_arg({3, 4}, gen)}, detail::ReduceAttrs{{}, false}},
                {"dim 1", {samples::distinct_arg({2, 3, 4}, gen)}, detail::ReduceAttrs{{1}, false}},
                {"dims {0, -1} keepdim", {samples::distinct_arg({2, 3, 4}, gen)}, detail::ReduceAttrs{{0, -1}, true}},
                {"non-contiguous dims {0, 2}", {strided}, detail::ReduceAttrs{{0, 2}, false}},
                {"0-d", {samples::arg({}, gen)}, detail::ReduceAttrs{{}, false}},
            };
            for (OpSample<detail::ReduceAttrs>& s : detail::empty_extremum_samples(gen)) out.push_back(std::move(s));
            return out;
          },
      .elementary = true,
      .summary = "max over dims (empty = all), keepdim; gradient to the first maximum",
  };
}

Tensor max(const Tensor& x, const Dims& dims, bool keepdim) {
  return call(builtin_ops().max, {x}, detail::ReduceAttrs{dims, keepdim});
}

}  // namespace tg
