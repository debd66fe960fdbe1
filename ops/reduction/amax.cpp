// amax: y = max of x over dims.  dx = g / k at each of the k maximal elements of a reduced
// block (ties share the gradient evenly, like torch.amax), 0 elsewhere:
// dx = expand(g) * w, where the weight mask w is a constant of the backward.
#include "ops/builtin_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/extremum.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<detail::ReduceAttrs> make_amax_op() {
  return {
      .name = "amax",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const detail::ReduceAttrs& attrs) {
            const Tensor& x = ctx.input(0);
            const auto dims = wrap_dims(attrs.dims, x.dim(), ctx.op_name());
            detail::check_nonempty_reduction(ctx.op_name(), x.shape(), dims);
            // The tie weights need x and y; both are kept anyway (x by the caller, y saved weakly).
            if (ctx.recording()) {
              ctx.save("x", x);
              ctx.save_output();
            }
            return visit_numeric(x.dtype(), ctx.op_name(), [&](auto tag) {
              using T = decltype(tag);
              Tensor out = empty(reduced_shape(x.shape(), dims, attrs.keepdim), {.dtype = x.dtype()});
              const auto rows = kernels::reduction_rows<T>(x, dims);
              Tensor index = empty({rows.outer}, {.dtype = DType::Int64});
              detail::first_max_rows(rows, out.data<T>(), index.data<std::int64_t>());
              return out;
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g,
                     const detail::ReduceAttrs& attrs) -> std::vector<Tensor> {
        const Shape& shape = ctx.input_shape(0);
        const auto dims = wrap_dims(attrs.dims, static_cast<std::int64_t>(shape.size()), ctx.op_name());
        const Tensor x = ctx.saved("x");
        const Tensor y = raw::contiguous(ctx.output());
        const Tensor mask = visit_floating(x.dtype(), ctx.op_name(), [&](auto tag) {
          using T = decltype(tag);
          const auto rows = kernels::reduction_rows<T>(x, dims);
          const T* best = y.data<T>();
          return detail::row_mask(shape, dims, x.dtype(), ctx.op_name(), [&](std::int64_t r, auto* row) {
            const T* v = rows.row(r);
            std::int64_t ties = 0;
            for (std::int64_t j = 0; j < rows.inner; ++j) ties += detail::same_extremum(v[j], best[r]) ? 1 : 0;
            const T weight = T(1) / static_cast<T>(ties);
            for (std::int64_t j = 0; j < rows.inner; ++j) row[j] = detail::same_extremum(v[j], best[r]) ? weight : T(0);
          });
        });
        return {detail::expand_reduced_grad(g, shape, attrs) * mask};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 13);
            Tensor base = samples::distinct_arg({4, 3, 2}, gen);
            Tensor strided = raw::as_strided(base.detach(), {2, 3, 4}, {1, 2, 6}, 0).set_requires_grad(true);
            std::vector<OpSample<detail::ReduceAttrs>> out{
                {"all dims", {samples::distinct_arg({3, 4}, gen)}, detail::ReduceAttrs{{}, false}},
                {"dim -1", {samples::distinct_arg({2, 3, 4}, gen)}, detail::ReduceAttrs{{-1}, false}},
                {"dims {0, 1} keepdim", {samples::distinct_arg({2, 3, 4}, gen)}, detail::ReduceAttrs{{0, 1}, true}},
                {"non-contiguous dims {1, 2}", {strided}, detail::ReduceAttrs{{1, 2}, true}},
                {"0-d", {samples::arg({}, gen)}, detail::ReduceAttrs{{}, false}},
            };
            for (OpSample<detail::ReduceAttrs>& s : detail::empty_extremum_samples(gen)) out.push_back(std::move(s));
            return out;
          },
      .elementary = true,
      .summary = "max over dims (empty = all), keepdim; gradient split evenly among ties",
  };
}

Tensor amax(const Tensor& x, const Dims& dims, bool keepdim) {
  return call(builtin_ops().amax, {x}, detail::ReduceAttrs{dims, keepdim});
}

}  // namespace tg
