// exp: y = e^x.  dx = g * y (the saved output).
// float32 goes through the SIMD kernel (within 1 ulp of the exact value), float64 through libm.
#include "ops/builtin_ops.hpp"
#include "ops/elementwise/unary.hpp"
#include "ops/kernels/math/vec_exp.hpp"
#include "ops/kernels/math/vec_math.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

namespace {
Tensor exp_forward(std::string_view op, const Tensor& x) {
  if (x.dtype() == DType::Float32 && x.is_contiguous()) {
    Tensor out = empty(x.shape());
    const float* src = x.data<float>();
    float* dst = out.data<float>();
    parallel_for(x.numel(), kernels::kElementwiseGrain, [&](std::int64_t begin, std::int64_t end) {
      kernels::exp_floats(src + begin, dst + begin, end - begin);
    });
    return out;
  }
  return detail::map_floating(op, x, [](auto v) { return kernels::exp(v); });
}
}  // namespace

OpDef<NoAttrs> make_exp_op() {
  return {
      .name = "exp",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            ctx.save_output();
            return exp_forward(ctx.op_name(), ctx.input(0));
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        return {g * ctx.output()};
      },
      .samples = [] { return samples::unary(-2.0, 2.0); },
      .elementary = true,
      .summary = "e^x",
  };
}

Tensor exp(const Tensor& x) { return call(builtin_ops().exp, {x}); }

}  // namespace tg
