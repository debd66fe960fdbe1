// amax: y = max of x over dims.  dx = g / k at each of the k maximal elements of a reduced
// block (ties share the gradient evenly, like torch.amax), 0 elsewhere:
// dx = expand(g) * w, where the weight mask w is a constant of the backward.
#include "ops/builtin_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/extremum.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<detail::ReduceAttrs> make_amax_op() {
  return {
      .name = "amax",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const detail::ReduceAttrs& attrs) {
            return detail::extremum_all_ties_forward(ctx, attrs, detail::Extremum::Max);
          },
      .backward = detail::extremum_all_ties_backward,
      .samples =
          [] {
            Generator gen(samples::kSeed + 13);
            Tensor base = samples::distinct_arg({4, 3, 2}, gen);
            Tensor strided = raw::as_strided(base.detach(), {2, 3, 4}, {1, 2, 6}, 0).set_requires_grad(true);
            std::vector<OpSample<detail::ReduceAttrs>> out{
                {"all dims", {samples::distinct_arg({3, 4}, gen)}, detail::ReduceAttrs{{}, false}},
                {"dim -1", {samples::distinct_arg({2, 3, 4}, gen)}, detail::ReduceAttrs{{-1}, false}},
                {"dims {0, 1} keepdim", {samples::distinct_arg({2, 3, 4}, gen)}, detail::ReduceAttrs{{0, 1}, true}},
                {"non-contiguous dims {1, 2}", {strided}, detail::ReduceAttrs{{1, 2}, true}},
                {"0-d", {samples::arg({}, gen)}, detail::ReduceAttrs{{}, false}},
            };
            for (OpSample<detail::ReduceAttrs>& s : detail::empty_extremum_samples(gen)) out.push_back(std::move(s));
            return out;
          },
      .elementary = true,
      .summary = "max over dims (empty = all), keepdim; gradient split evenly among ties",
  };
}

Tensor amax(const Tensor& x, const Dims& dims, bool keepdim) {
  return call(builtin_ops().amax, {x}, detail::ReduceAttrs{dims, keepdim});
}

}  // namespace tg
