// amin: y = min of x over dims.  dx = g / k at each of the k minimal elements of a reduced
// block (ties share the gradient evenly, like torch.amin), 0 elsewhere. The code is amax's
// (extremum.cpp), run in the other direction.
// Reference: -amax(-x).
#include "ops/elementwise.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/extremum.hpp"
#include "ops/reduction/statistic_ops.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

namespace detail {

// The samples of min and amin: distinct values (no ties, so finite differences stay away
// from the kinks), keepdim, a non-contiguous input, 0-d, and the empty cases.
std::vector<OpSample<ReduceAttrs>> minimum_samples(std::uint64_t seed) {
  Generator gen(seed);
  Tensor base = samples::distinct_arg({4, 3, 2}, gen);
  Tensor strided = raw::as_strided(base.detach(), {2, 3, 4}, {1, 2, 6}, 0).set_requires_grad(true);
  std::vector<OpSample<ReduceAttrs>> out{
      {"all dims", {samples::distinct_arg({3, 4}, gen)}, ReduceAttrs{{}, false}},
      {"dim 1", {samples::distinct_arg({2, 3, 4}, gen)}, ReduceAttrs{{1}, false}},
      {"dims {0, -1} keepdim", {samples::distinct_arg({2, 3, 4}, gen)}, ReduceAttrs{{0, -1}, true}},
      {"non-contiguous dims {1, 2}", {strided}, ReduceAttrs{{1, 2}, true}},
      {"0-d", {samples::arg({}, gen)}, ReduceAttrs{{}, false}},
  };
  for (OpSample<ReduceAttrs>& s : empty_extremum_samples(gen)) out.push_back(std::move(s));
  return out;
}

}  // namespace detail

OpDef<detail::ReduceAttrs> make_amin_op() {
  return {
      .name = "amin",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const detail::ReduceAttrs& attrs) {
            return detail::extremum_all_ties_forward(ctx, attrs, detail::Extremum::Min);
          },
      .backward = detail::extremum_all_ties_backward,
      .reference = [](std::span<const Tensor> in,
                      const detail::ReduceAttrs& a) { return -amax(-in[0], a.dims, a.keepdim); },
      .samples = [] { return detail::minimum_samples(samples::kSeed + 503); },
      .summary = "min over dims (empty = all), keepdim; gradient split evenly among ties",
  };
}

Tensor amin(const Tensor& x, const Dims& dims, bool keepdim) {
  return call(statistic_ops().amin, {x}, detail::ReduceAttrs{dims, keepdim});
}

}  // namespace tg
