// sum: y = sum of x over dims.  dx = g, broadcast back over the reduced dims
// (reshape to the keepdim shape, then expand).
#include "ops/kernels/reduce.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/reduce_attrs.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

namespace detail {
// g (the gradient of a reduction output) broadcast back to the input shape.
Tensor expand_reduced_grad(const Tensor& g, const Shape& input_shape, const ReduceAttrs& attrs) {
  const auto dims = wrap_dims(attrs.dims, static_cast<std::int64_t>(input_shape.size()), "sum");
  return expand(reshape(g, reduced_shape(input_shape, dims, true)), input_shape);
}
}  // namespace detail

OpDef make_sum_op() {
  return {
      .name = "sum",
      .arity = 1,
      .forward = [](ForwardContext& ctx) {
        const Tensor& x = ctx.input(0);
        const auto& attrs = ctx.attrs<detail::ReduceAttrs>();
        const auto dims = wrap_dims(attrs.dims, x.dim(), ctx.op_name());
        const Tensor src = x.dtype() == DType::Bool ? x.clone_as(DType::Int64) : x;
        return visit_numeric(src.dtype(), ctx.op_name(), [&](auto tag) {
          using T = decltype(tag);
          Tensor out = empty(reduced_shape(x.shape(), dims, attrs.keepdim), {.dtype = src.dtype()});
          const auto rows = kernels::reduction_rows<T>(src, dims);
          kernels::reduce_rows<T, T>(
              rows, out.data<T>(), T{0}, [](const T* p, std::int64_t n) { return kernels::block_sum(p, n); },
              [](T a, T b) { return a + b; }, [](T a) { return a; });
          return out;
        });
      },
      .backward = [](const BackwardContext& ctx, const Tensor& g) -> std::vector<Tensor> {
        return {detail::expand_reduced_grad(g, ctx.input_shape(0), ctx.attrs<detail::ReduceAttrs>())};
      },
      .samples = [] {
        Generator gen(samples::kSeed + 10);
        return std::vector<OpSample>{
            {"all dims", {samples::arg({3, 4}, gen)}, detail::ReduceAttrs{{}, false}},
            {"dim 1", {samples::arg({2, 3, 4}, gen)}, detail::ReduceAttrs{{1}, false}},
            {"dims {0, -1} keepdim", {samples::arg({2, 3, 4}, gen)}, detail::ReduceAttrs{{0, -1}, true}},
            {"0-d", {samples::arg({}, gen)}, detail::ReduceAttrs{{}, false}},
        };
      },
      .summary = "sum over dims (empty = all), keepdim",
  };
}

Tensor sum(const Tensor& x, const Dims& dims, bool keepdim) {
  static const OpDef& op = registry().get("sum");
  return call(op, {x}, detail::ReduceAttrs{dims, keepdim});
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const SumToShapePlan plan = sum_to_shape_plan(x.shape(), shape);
  TG_CHECK(plan.leading >= 0, ShapeError, "sum_to: cannot sum shape {} to the larger shape {}", x.shape(), shape);
  return reshape(sum(x, plan.dims, true), shape);
}

}  // namespace tg
