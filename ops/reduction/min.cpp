// min: y = min of x over dims.  dx = g at the first minimal element of each reduced block
// (row-major order within the block), 0 elsewhere. The code is max's (extremum.cpp), run in
// the other direction.
// Reference: -max(-x) (the first maximum of -x is the first minimum of x).
#include "ops/elementwise.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/extremum.hpp"
#include "ops/reduction/statistic_ops.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<detail::ReduceAttrs> make_min_op() {
  return {
      .name = "min",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const detail::ReduceAttrs& attrs) {
            return detail::extremum_at_first_forward(ctx, attrs, detail::Extremum::Min);
          },
      .backward = detail::extremum_at_first_backward,
      .reference = [](std::span<const Tensor> in,
                      const detail::ReduceAttrs& a) { return -max(-in[0], a.dims, a.keepdim); },
      .samples = [] { return detail::minimum_samples(samples::kSeed + 504); },
      .summary = "min over dims (empty = all), keepdim; gradient to the first minimum",
  };
}

Tensor min(const Tensor& x, const Dims& dims, bool keepdim) {
  return call(statistic_ops().min, {x}, detail::ReduceAttrs{dims, keepdim});
}

}  // namespace tg
