// argsort: the positions along dim that sort each lane of x, ascending or descending, as
// int64. Stable: equal values keep their order (in both directions), and NaN counts as
// larger than every number (last ascending, first descending), as in torch.sort(stable=True).
// Piecewise constant in x, so not differentiable; sort's values are gather(x, dim, argsort),
// whose gradient is gather's.
#include <algorithm>
#include <numeric>

#include "ops/reduction.hpp"
#include "ops/reduction/extremum.hpp"
#include "ops/reduction/statistic_ops.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/parallel.hpp"

namespace tg {

namespace detail {

Tensor sorted_positions(std::string_view op, const Tensor& x, std::int64_t dim, bool descending, std::int64_t k) {
  const std::int64_t d = wrap_dim(dim, x.dim(), op);
  std::int64_t outer = 1, n = 1, inner = 1;
  for (std::int64_t i = 0; i < x.dim(); ++i) (i < d ? outer : i == d ? n : inner) *= x.size(i);
  if (k < 0) k = n;
  Shape shape = x.shape();
  if (!shape.empty()) shape[d] = k;
  Tensor out = empty(shape, {.dtype = DType::Int64});
  if (out.numel() == 0) return out;
  return visit_numeric(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const Tensor xc = raw::contiguous(x);
    const T* src = xc.data<T>();
    std::int64_t* dst = out.data<std::int64_t>();
    parallel_for(outer * inner, std::max<std::int64_t>(1, 4096 / n), [&](std::int64_t begin, std::int64_t end) {
      std::vector<std::int64_t> order(static_cast<std::size_t>(n));
      for (std::int64_t lane = begin; lane < end; ++lane) {
        const std::int64_t o = lane / inner, c = lane % inner;
        const T* v = src + o * n * inner + c;
        // Ascending order with NaN above every number; descending is its mirror.
        const auto goes_first = [descending](T a, T b) {
          const auto below = [](T u, T w) { return u < w || (!is_nan(u) && is_nan(w)); };
          return descending ? below(b, a) : below(a, b);
        };
        // Equal values by position: a total order, so the partial sort of the first k gives
        // exactly the first k of a stable sort.
        const auto precedes = [&](std::int64_t a, std::int64_t b) {
          const T va = v[a * inner], vb = v[b * inner];
          return goes_first(va, vb) || (!goes_first(vb, va) && a < b);
        };
        std::iota(order.begin(), order.end(), std::int64_t{0});
        std::partial_sort(order.begin(), order.begin() + k, order.end(), precedes);
        std::int64_t* y = dst + o * k * inner + c;
        for (std::int64_t i = 0; i < k; ++i) y[i * inner] = order[static_cast<std::size_t>(i)];
      }
    });
    return out;
  });
}

}  // namespace detail

OpDef<detail::SortAttrs> make_argsort_op() {
  return {
      .name = "argsort",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const detail::SortAttrs& attrs) {
            return detail::sorted_positions(ctx.op_name(), ctx.input(0), attrs.dim, attrs.descending, -1);
          },
      .samples =
          [] {
            Generator gen(samples::kSeed + 507);
            // Ties: every value appears twice, so stability decides the order.
            const Tensor ties =
                from_vector(std::vector<double>{0.5, -1, 0.5, 2, -1, 2}, {2, 3}, {.dtype = DType::Float64});
            using A = detail::SortAttrs;
            return std::vector<OpSample<A>>{
                {"[3, 4] dim -1", {samples::arg({3, 4}, gen).detach()}, A{-1, false}},
                {"[3, 4] dim 0 descending", {samples::arg({3, 4}, gen).detach()}, A{0, true}},
                {"[2, 3] ties dim 0", {ties}, A{0, false}},
                {"[2, 3] ties dim 1 descending", {ties}, A{1, true}},
                {"[0, 3] dim 0 (empty)", {samples::arg({0, 3}, gen).detach()}, A{0, false}},
            };
          },
      .elementary = true,
      .summary = "positions that sort each lane along a dim, stable (int64, not differentiable)",
  };
}

Tensor argsort(const Tensor& x, std::int64_t dim, bool descending) {
  return call(statistic_ops().argsort, {x}, detail::SortAttrs{dim, descending});
}

SortResult sort(const Tensor& x, std::int64_t dim, bool descending) {
  Tensor indices = argsort(x, dim, descending);
  return {gather(x, dim, indices), indices};
}

}  // namespace tg
