// argmax: y = index along dim of the first maximal element (int64; NaN counts as maximal).
// Piecewise constant in x, so not differentiable: registered without a backward.
#include "ops/builtin_ops.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/extremum.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<detail::ReduceAttrs> make_argmax_op() {
  return {
      .name = "argmax",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const detail::ReduceAttrs& attrs) {
            const Tensor& x = ctx.input(0);
            const auto dims = wrap_dims(attrs.dims, x.dim(), ctx.op_name());
            detail::check_nonempty_reduction(ctx.op_name(), x.shape(), dims);
            return visit_numeric(x.dtype(), ctx.op_name(), [&](auto tag) {
              using T = decltype(tag);
              Tensor out = empty(reduced_shape(x.shape(), dims, attrs.keepdim), {.dtype = DType::Int64});
              const auto rows = kernels::reduction_rows<T>(x, dims);
              std::vector<T> values(static_cast<std::size_t>(rows.outer));
              detail::first_extremum_rows(rows, values.data(), out.data<std::int64_t>());
              return out;
            });
          },
      .samples =
          [] {
            Generator gen(samples::kSeed + 14);
            return std::vector<OpSample<detail::ReduceAttrs>>{
                {"dim 1", {samples::distinct_arg({3, 4}, gen).detach()}, detail::ReduceAttrs{{1}, false}},
                {"dim 0 keepdim", {samples::distinct_arg({3, 4}, gen).detach()}, detail::ReduceAttrs{{0}, true}},
                {"[0, 3] dim 1 (empty result)",
                 {samples::distinct_arg({0, 3}, gen).detach()},
                 detail::ReduceAttrs{{1}, false}},
                {.label = "[0, 3] dim 0 (rejected: empty block)",
                 .inputs = {samples::distinct_arg({0, 3}, gen).detach()},
                 .attrs = detail::ReduceAttrs{{0}, false},
                 .rejects = &typeid(ValueError)},
            };
          },
      .elementary = true,
      .summary = "index of the first maximum along a dim (int64, not differentiable)",
  };
}

Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim) {
  return call(builtin_ops().argmax, {x}, detail::ReduceAttrs{{dim}, keepdim});
}

}  // namespace tg
