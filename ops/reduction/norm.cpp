// norm: the vector p-norm over dims, p in {1, 2, inf} (others throw ValueError):
//   p = 1:   y = sum |x|               dx = g sign(x)                (0 at x = 0)
//   p = 2:   y = sqrt(sum x^2)          dx = g x / y                  (0 where y = 0)
//   p = inf: y = max |x|                dx = g sign(x) / k at the k elements with |x| = y
// The zero subgradients at the kinks are PyTorch's. sign(x) and the tie weights are
// constants of the backward (their derivatives vanish almost everywhere). The inf-norm of an
// empty block has no identity element and throws ValueError (PyTorch refuses too); the others
// are 0.
// Reference: sum(abs(x)), sqrt(sum(x * x)), amax(abs(x)).
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

enum class NormKind { One, Two, Inf };

NormKind norm_kind(double p, std::string_view op) {
  if (p == 1.0) return NormKind::One;
  if (p == 2.0) return NormKind::Two;
  TG_CHECK(std::isinf(p) && p > 0, ValueError, "{}: p = {} is not supported (1, 2 or inf)", op, p);
  return NormKind::Inf;
}

Tensor norm_forward(std::string_view op, const Tensor& x, const detail::NormAttrs& attrs) {
  const NormKind kind = norm_kind(attrs.p, op);
  const auto dims = wrap_dims(attrs.dims, x.dim(), op);
  if (kind == NormKind::Inf) detail::check_nonempty_reduction(op, x.shape(), dims);
  return visit_floating(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    Tensor out = empty(reduced_shape(x.shape(), dims, attrs.keepdim), {.dtype = x.dtype()});
    const auto rows = kernels::reduction_rows<T>(x, dims);
    T* y = out.data<T>();
    if (kind == NormKind::One) {
      detail::sum_rows_about<T>(rows, nullptr, y, [](T v, T) { return std::abs(v); });
    } else if (kind == NormKind::Two) {
      detail::sum_rows_about<T>(rows, nullptr, y, [](T v, T) { return v * v; });
      for (std::int64_t r = 0; r < rows.outer; ++r) y[r] = std::sqrt(y[r]);
    } else {
      kernels::reduce_rows<T, T>(
          rows, y, T{0},
          [](const T* p, std::int64_t n) {
            T best = 0;
            for (std::int64_t i = 0; i < n; ++i) {
              if (detail::beats(std::abs(p[i]), best)) best = std::abs(p[i]);
            }
            return best;
          },
          [](T a, T b) { return detail::beats(b, a) ? b : a; }, [](T a) { return a; });
    }
    return out;
  });
}

// sign(x) as a constant: 1, -1, or 0 at 0.
Tensor sign_of(const Tensor& x) {
  const Tensor zero = scalar_like(x, 0.0);
  return cast(gt(x, zero), x.dtype()) - cast(lt(x, zero), x.dtype());
}

Tensor norm_composition(std::span<const Tensor> in, const detail::NormAttrs& a) {
  const Tensor& x = in[0];
  switch (norm_kind(a.p, "norm reference")) {
    case NormKind::One:
      return sum(abs(x), a.dims, a.keepdim);
    case NormKind::Two:
      return sqrt(sum(x * x, a.dims, a.keepdim));
    case NormKind::Inf:
      break;
  }
  return amax(abs(x), a.dims, a.keepdim);
}

}  // namespace

OpDef<detail::NormAttrs> make_norm_op() {
  return {
      .name = "norm",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const detail::NormAttrs& attrs) {
            if (ctx.recording()) {
              ctx.save("x", ctx.input(0));
              ctx.save_output();
            }
            return norm_forward(ctx.op_name(), ctx.input(0), attrs);
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g,
                     const detail::NormAttrs& attrs) -> std::vector<Tensor> {
        const Tensor x = ctx.saved("x");
        const detail::ReduceAttrs reduce{attrs.dims, attrs.keepdim};
        const Tensor ge = detail::expand_reduced_grad(g, x.shape(), reduce);
        const Tensor y = detail::expand_reduced_grad(ctx.output(), x.shape(), reduce);
        switch (norm_kind(attrs.p, ctx.op_name())) {
          case NormKind::One:
            return {ge * sign_of(x)};
          case NormKind::Two:
            // Where y = 0, x = 0 too: dividing by 1 there gives PyTorch's zero subgradient.
            return {ge * x / where(eq(y, scalar_like(y, 0.0)), scalar_like(y, 1.0), y)};
          case NormKind::Inf:
            break;
        }
        const Tensor ties = cast(eq(abs(x.detach()), y.detach()), x.dtype());
        const Tensor weights = ties / sum(ties, attrs.dims, true);
        return {ge * sign_of(x) * weights};
      },
      .reference = norm_composition,
      .samples =
          [] {
            Generator gen(samples::kSeed + 502);
            const double inf = std::numeric_limits<double>::infinity();
            using A = detail::NormAttrs;
            return std::vector<OpSample<A>>{
                {"p 2, all dims", {samples::distinct_arg({3, 4}, gen)}, A{2.0, {}, false}},
                {"p 1, dim 1", {samples::distinct_arg({2, 3, 4}, gen)}, A{1.0, {1}, false}},
                {"p inf, dims {0, -1} keepdim", {samples::distinct_arg({2, 3, 4}, gen)}, A{inf, {0, -1}, true}},
                {"p 2, dim 0 keepdim", {samples::distinct_arg({3, 2}, gen)}, A{2.0, {0}, true}},
                {.label = "p 1, [0, 3] dim 0 (empty: 0)",
                 .inputs = {samples::arg({0, 3}, gen)},
                 .attrs = A{1.0, {0}, false},
                 .expected = zeros({3}, {.dtype = DType::Float64})},
                {"p inf, [3, 0] dim 0 (empty result)", {samples::arg({3, 0}, gen)}, A{inf, {0}, false}},
                {.label = "p inf, [0, 3] dim 0 (rejected: empty block)",
                 .inputs = {samples::arg({0, 3}, gen)},
                 .attrs = A{inf, {0}, false},
                 .rejects = &typeid(ValueError)},
                {.label = "p 3 (rejected)",
                 .inputs = {samples::arg({3}, gen)},
                 .attrs = A{3.0, {}, false},
                 .rejects = &typeid(ValueError)},
            };
          },
      .summary = "vector p-norm over dims (p = 1, 2 or inf), keepdim",
  };
}

Tensor norm(const Tensor& x, double p, const Dims& dims, bool keepdim) {
  return call(statistic_ops().norm, {x}, detail::NormAttrs{p, dims, keepdim});
}

}  // namespace tg
