// std (tg::std_dev): y = sqrt(var(x, dims)) (see var.cpp: two passes, n - c in the divisor; NaN where
// n - c = 0 or the block is empty, as in PyTorch).
// dx = g * (x - m) / ((n - c) y), m = mean of x over dims; where y = 0 (a constant block)
// this is 0 / 0 = NaN, as in PyTorch.
// Reference: sqrt(var(x)).
#include "ops/elementwise.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/statistic_ops.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

OpDef<detail::VarianceAttrs> make_std_op() {
  return {
      .name = "std",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const detail::VarianceAttrs& attrs) {
            const Tensor& x = ctx.input(0);
            const auto dims = wrap_dims(attrs.dims, x.dim(), ctx.op_name());
            if (ctx.recording()) {
              ctx.save("x", x);
              ctx.save_output();
            }
            return detail::variance_forward(ctx.op_name(), x, dims, attrs.keepdim, attrs.unbiased, true);
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g,
                     const detail::VarianceAttrs& attrs) -> std::vector<Tensor> {
        const Tensor x = ctx.saved("x");
        const double divisor = detail::variance_divisor(x.shape(), attrs, ctx.op_name());
        const detail::ReduceAttrs reduce{attrs.dims, attrs.keepdim};
        // g is spread first, so that over an empty block no NaN of y reaches g's own gradient.
        const Tensor spread = detail::expand_reduced_grad(g, x.shape(), reduce) * detail::centred(x, attrs);
        return {spread / detail::expand_reduced_grad(ctx.output() * divisor, x.shape(), reduce)};
      },
      .reference = [](std::span<const Tensor> in,
                      const detail::VarianceAttrs& a) { return sqrt(var(in[0], a.dims, a.unbiased, a.keepdim)); },
      .samples = [] { return detail::variance_samples(samples::kSeed + 501); },
      .summary = "standard deviation over dims (empty = all), unbiased (n - 1) or not, keepdim",
  };
}

Tensor std_dev(const Tensor& x, const Dims& dims, bool unbiased, bool keepdim) {
  return call(statistic_ops().std_dev, {x}, detail::VarianceAttrs{dims, unbiased, keepdim});
}

}  // namespace tg
