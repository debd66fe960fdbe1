// topk_indices: the positions along dim of the k largest (or smallest) elements of each
// lane, best first, as int64. Ties go to the earlier element and NaN counts as the largest
// value, as in a stable sort; the result is always sorted. Not differentiable: topk's values
// are gather(x, dim, indices), whose gradient is gather's.
// Reference: the first k positions of argsort (descending for the largest).
#include "ops/reduction.hpp"
#include "ops/reduction/statistic_ops.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

OpDef<detail::TopkAttrs> make_topk_indices_op() {
  return {
      .name = "topk_indices",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const detail::TopkAttrs& attrs) {
            const Tensor& x = ctx.input(0);
            const std::int64_t d = wrap_dim(attrs.dim, x.dim(), ctx.op_name());
            const std::int64_t n = x.dim() == 0 ? 1 : x.size(d);
            TG_CHECK(attrs.k >= 0 && attrs.k <= n, ValueError,
                     "{}: k = {} is out of range for dim {} of size {} (shape {})", ctx.op_name(), attrs.k, attrs.dim,
                     n, x.shape());
            return detail::sorted_positions(ctx.op_name(), x, d, attrs.largest, attrs.k);
          },
      .reference = [](std::span<const Tensor> in,
                      const detail::TopkAttrs& a) { return slice(argsort(in[0], a.dim, a.largest), a.dim, 0, a.k); },
      .samples =
          [] {
            Generator gen(samples::kSeed + 508);
            const Tensor ties =
                from_vector(std::vector<double>{0.5, -1, 0.5, 2, -1, 2}, {2, 3}, {.dtype = DType::Float64});
            using A = detail::TopkAttrs;
            return std::vector<OpSample<A>>{
                {"[3, 5] k 2 largest", {samples::arg({3, 5}, gen).detach()}, A{2, -1, true}},
                {"[4, 3] k 3 dim 0 smallest", {samples::arg({4, 3}, gen).detach()}, A{3, 0, false}},
                {"[2, 3] ties k 2", {ties}, A{2, 1, true}},
                {"[2, 3] ties k 1 smallest", {ties}, A{1, 1, false}},
                {"[3, 4] k 0 (empty result)", {samples::arg({3, 4}, gen).detach()}, A{0, 1, true}},
                {.label = "[3, 4] k 5 (rejected)",
                 .inputs = {samples::arg({3, 4}, gen).detach()},
                 .attrs = A{5, 1, true},
                 .rejects = &typeid(ValueError)},
            };
          },
      .summary = "positions of the k largest or smallest along a dim, sorted, ties to the earlier (int64)",
  };
}

SortResult topk(const Tensor& x, std::int64_t k, std::int64_t dim, bool largest, bool sorted) {
  (void)sorted;  // the result is always sorted (PyTorch leaves the order of sorted=false open)
  Tensor indices = call(statistic_ops().topk_indices, {x}, detail::TopkAttrs{k, dim, largest});
  return {gather(x, dim, indices), indices};
}

}  // namespace tg
