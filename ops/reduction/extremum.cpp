// The forwards and backwards shared by max / min (gradient to the first extremum) and
// amax / amin (gradient split among ties); see extremum.hpp.
#include "ops/reduction/extremum.hpp"

#include "ops/elementwise.hpp"

namespace tg::detail {

namespace {

// The extremal values of x over `dims`, and in `index` (when given) each winner's position
// within its row.
Tensor extremum_values(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim, Extremum e,
                       std::string_view op, Tensor* index_out) {
  return visit_numeric(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    Tensor out = empty(reduced_shape(x.shape(), dims, keepdim), {.dtype = x.dtype()});
    const auto rows = kernels::reduction_rows<T>(x, dims);
    Tensor index = empty({rows.outer}, {.dtype = DType::Int64});
    if (e == Extremum::Max) {
      first_extremum_rows<Extremum::Max>(rows, out.data<T>(), index.data<std::int64_t>());
    } else {
      first_extremum_rows<Extremum::Min>(rows, out.data<T>(), index.data<std::int64_t>());
    }
    if (index_out != nullptr) *index_out = index;
    return out;
  });
}

}  // namespace

Tensor extremum_at_first_forward(ForwardContext& ctx, const ReduceAttrs& attrs, Extremum e) {
  const Tensor& x = ctx.input(0);
  const auto dims = wrap_dims(attrs.dims, x.dim(), ctx.op_name());
  check_nonempty_reduction(ctx.op_name(), x.shape(), dims);
  // Backward needs only the winner's position in each row (one int64 per output).
  Tensor index;
  Tensor out = extremum_values(x, dims, attrs.keepdim, e, ctx.op_name(), &index);
  if (ctx.recording()) ctx.save("index", index);
  return out;
}

std::vector<Tensor> extremum_at_first_backward(const BackwardContext& ctx, const Tensor& g, const ReduceAttrs& attrs) {
  const Shape& shape = ctx.input_shape(0);
  const auto dims = wrap_dims(attrs.dims, static_cast<std::int64_t>(shape.size()), ctx.op_name());
  const std::int64_t* index = ctx.saved("index").data<std::int64_t>();
  const Tensor mask = row_mask(shape, dims, ctx.input_dtype(0), ctx.op_name(),
                               [index](std::int64_t r, auto* row) { row[index[r]] = 1; });
  return {expand_reduced_grad(g, shape, attrs) * mask};
}

Tensor extremum_all_ties_forward(ForwardContext& ctx, const ReduceAttrs& attrs, Extremum e) {
  const Tensor& x = ctx.input(0);
  const auto dims = wrap_dims(attrs.dims, x.dim(), ctx.op_name());
  check_nonempty_reduction(ctx.op_name(), x.shape(), dims);
  // The tie weights need x and y; both are kept anyway (x by the caller, y saved weakly).
  if (ctx.recording()) {
    ctx.save("x", x);
    ctx.save_output();
  }
  return extremum_values(x, dims, attrs.keepdim, e, ctx.op_name(), nullptr);
}

std::vector<Tensor> extremum_all_ties_backward(const BackwardContext& ctx, const Tensor& g, const ReduceAttrs& attrs) {
  const Shape& shape = ctx.input_shape(0);
  const auto dims = wrap_dims(attrs.dims, static_cast<std::int64_t>(shape.size()), ctx.op_name());
  const Tensor x = ctx.saved("x");
  const Tensor y = raw::contiguous(ctx.output());
  const Tensor mask = visit_floating(x.dtype(), ctx.op_name(), [&](auto tag) {
    using T = decltype(tag);
    const auto rows = kernels::reduction_rows<T>(x, dims);
    const T* best = y.data<T>();
    return row_mask(shape, dims, x.dtype(), ctx.op_name(), [&](std::int64_t r, auto* row) {
      const T* v = rows.row(r);
      std::int64_t ties = 0;
      for (std::int64_t j = 0; j < rows.inner; ++j) ties += same_extremum(v[j], best[r]) ? 1 : 0;
      const T weight = T(1) / static_cast<T>(ties);
      for (std::int64_t j = 0; j < rows.inner; ++j) row[j] = same_extremum(v[j], best[r]) ? weight : T(0);
    });
  });
  return {expand_reduced_grad(g, shape, attrs) * mask};
}

}  // namespace tg::detail
