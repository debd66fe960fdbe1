// logsumexp: y = m + log(sum over dims of exp(x - m)), m = max of x over the block
// (subtracting m keeps exp from overflowing and does not change y). A block whose maximum
// is infinite is summed about 0 instead, which gives PyTorch's values: -inf for a block of
// -inf (and for an empty block: log 0), +inf if any element is +inf; NaN propagates.
// dx = g * exp(x - y); a block of -inf gets gradient 0 (exp(-inf - 0)) instead of NaN.
// Reference: log(sum(exp(x - amax(x)))) + amax(x).
#include <cmath>
#include <limits>

#include "ops/elementwise.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/extremum.hpp"
#include "ops/reduction/row_stats.hpp"
#include "ops/reduction/statistic_ops.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

namespace {

Tensor logsumexp_forward(std::string_view op, const Tensor& x, const detail::ReduceAttrs& attrs) {
  const auto dims = wrap_dims(attrs.dims, x.dim(), op);
  return visit_floating(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    Tensor out = empty(reduced_shape(x.shape(), dims, attrs.keepdim), {.dtype = x.dtype()});
    const auto rows = kernels::reduction_rows<T>(x, dims);
    const auto outer = static_cast<std::size_t>(rows.outer);
    std::vector<T> shift(outer, T{0});
    if (rows.inner > 0) {
      std::vector<std::int64_t> where_max(outer);
      detail::first_extremum_rows(rows, shift.data(), where_max.data());
      for (T& m : shift) m = std::isfinite(m) ? m : T{0};
    }
    T* y = out.data<T>();
    detail::sum_rows_about<T>(rows, shift.data(), y, [](T v, T m) { return std::exp(v - m); });
    for (std::size_t r = 0; r < outer; ++r) y[r] = std::log(y[r]) + shift[r];
    return out;
  });
}

Tensor logsumexp_composition(std::span<const Tensor> in, const detail::ReduceAttrs& a) {
  const Tensor& x = in[0];
  const Tensor m = amax(x, a.dims, true);
  const Tensor m_out = reshape(m, reduced_shape(x.shape(), wrap_dims(a.dims, x.dim(), "logsumexp"), a.keepdim));
  return log(sum(exp(x - m), a.dims, a.keepdim)) + m_out;
}

}  // namespace

OpDef<detail::ReduceAttrs> make_logsumexp_op() {
  return {
      .name = "logsumexp",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const detail::ReduceAttrs& attrs) {
            if (ctx.recording()) {
              ctx.save("x", ctx.input(0));
              ctx.save_output();
            }
            return logsumexp_forward(ctx.op_name(), ctx.input(0), attrs);
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g,
                     const detail::ReduceAttrs& attrs) -> std::vector<Tensor> {
        const Tensor x = ctx.saved("x");
        const Tensor y = detail::expand_reduced_grad(ctx.output(), x.shape(), attrs);
        const Tensor minus_inf = scalar_like(y, -std::numeric_limits<double>::infinity());
        const Tensor finite_y = where(eq(y, minus_inf), scalar_like(y, 0.0), y);
        return {detail::expand_reduced_grad(g, x.shape(), attrs) * exp(x - finite_y)};
      },
      .reference = logsumexp_composition,
      .samples =
          [] {
            Generator gen(samples::kSeed + 505);
            Tensor base = samples::arg({4, 3, 2}, gen, -3.0, 3.0);
            Tensor strided = raw::as_strided(base.detach(), {2, 3, 4}, {1, 2, 6}, 0).set_requires_grad(true);
            using A = detail::ReduceAttrs;
            return std::vector<OpSample<A>>{
                {"all dims", {samples::arg({3, 4}, gen, -3.0, 3.0)}, A{{}, false}},
                {"dim 1", {samples::arg({2, 3, 4}, gen, -3.0, 3.0)}, A{{1}, false}},
                {"dims {0, -1} keepdim", {samples::arg({2, 3, 4}, gen, -3.0, 3.0)}, A{{0, -1}, true}},
                {"non-contiguous dim 2", {strided}, A{{2}, false}},
                {"0-d", {samples::arg({}, gen)}, A{{}, false}},
                {"[3, 0] dim 0 (empty result)", {samples::arg({3, 0}, gen)}, A{{0}, false}},
            };
          },
      .summary = "log(sum(exp(x))) over dims, max-shifted; keepdim",
  };
}

Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim) {
  return call(statistic_ops().logsumexp, {x}, detail::ReduceAttrs{dims, keepdim});
}

}  // namespace tg
