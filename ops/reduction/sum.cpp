// sum: y = sum of x over dims (int64 wraps around).  dx = g, broadcast back over the reduced dims
// (reshape to the keepdim shape, then expand).
#include "ops/builtin_ops.hpp"
#include "ops/kernels/math/reduce.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/reduce_attrs.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/checked_math.hpp"

namespace tg {

namespace detail {
Tensor sum_forward(std::string_view op, const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim,
                   bool mean) {
  return visit_numeric(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    Tensor out = empty(reduced_shape(x.shape(), dims, keepdim), {.dtype = x.dtype()});
    if (const kernels::MiddleReduction m = kernels::middle_reduction(x, dims); m.applies) {
      const T count = static_cast<T>(m.n);
      kernels::sum_columns<T>(x.data<T>(), out.data<T>(), m, [&](T a) { return mean ? a / count : a; });
      return out;
    }
    const auto rows = kernels::reduction_rows<T>(x, dims);
    const T count = static_cast<T>(rows.inner);
    kernels::reduce_rows<T, T>(
        rows, out.data<T>(), T{0}, kernels::BlockSumFold{}, [](T a, T b) { return wrapping_add(a, b); },
        [&](T a) { return mean ? a / count : a; });
    return out;
  });
}
}  // namespace detail

OpDef<detail::ReduceAttrs> make_sum_op() {
  return {
      .name = "sum",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const detail::ReduceAttrs& attrs) {
            const Tensor& x = ctx.input(0);
            const auto dims = wrap_dims(attrs.dims, x.dim(), ctx.op_name());
            const Tensor src = x.dtype() == DType::Bool ? x.clone_as(DType::Int64) : x;
            return detail::sum_forward(ctx.op_name(), src, dims, attrs.keepdim, false);
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const detail::ReduceAttrs& attrs)
          -> std::vector<Tensor> { return {detail::expand_reduced_grad(g, ctx.input_shape(0), attrs)}; },
      .samples =
          [] {
            Generator gen(samples::kSeed + 10);
            return std::vector<OpSample<detail::ReduceAttrs>>{
                {"all dims", {samples::arg({3, 4}, gen)}, detail::ReduceAttrs{{}, false}},
                {"dim 1", {samples::arg({2, 3, 4}, gen)}, detail::ReduceAttrs{{1}, false}},
                {"dims {0, -1} keepdim", {samples::arg({2, 3, 4}, gen)}, detail::ReduceAttrs{{0, -1}, true}},
                {"0-d", {samples::arg({}, gen)}, detail::ReduceAttrs{{}, false}},
                // An empty sum is 0; an empty reduced dim gives an empty result.
                {.label = "[0, 3] all dims (empty: 0)",
                 .inputs = {samples::arg({0, 3}, gen)},
                 .attrs = detail::ReduceAttrs{{}, false},
                 .expected = zeros({}, {.dtype = DType::Float64})},
                {.label = "[0, 3] dim 0 (empty: zeros)",
                 .inputs = {samples::arg({0, 3}, gen)},
                 .attrs = detail::ReduceAttrs{{0}, false},
                 .expected = zeros({3}, {.dtype = DType::Float64})},
                {"[3, 0] dim 0 keepdim (empty result)", {samples::arg({3, 0}, gen)}, detail::ReduceAttrs{{0}, true}},
                {.label = "[2, 0, 3] dim 1 (empty middle dim: zeros)",
                 .inputs = {samples::arg({2, 0, 3}, gen)},
                 .attrs = detail::ReduceAttrs{{1}, false},
                 .expected = zeros({2, 3}, {.dtype = DType::Float64})},
            };
          },
      .elementary = true,
      .summary = "sum over dims (empty = all), keepdim",
  };
}

Tensor sum(const Tensor& x, const Dims& dims, bool keepdim) {
  return call(builtin_ops().sum, {x}, detail::ReduceAttrs{dims, keepdim});
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const SumToShapePlan plan = sum_to_shape_plan(x.shape(), shape);
  TG_CHECK(plan.leading >= 0, ShapeError, "sum_to: cannot sum shape {} to the larger shape {}", x.shape(), shape);
  return reshape(sum(x, plan.dims, true), shape);
}

}  // namespace tg
