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
            return detail::extremum_at_first_forward(ctx, attrs, detail::Extremum::Max);
          },
      .backward = detail::extremum_at_first_backward,
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
