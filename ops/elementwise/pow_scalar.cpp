// pow_scalar: y = x ^ p for a constant double p (int64 x gives float32).
// dx = g * p * x^(p - 1); exactly 0 for p = 0 (no 0 * inf at x = 0).
#include <cmath>

#include "ops/builtin_ops.hpp"
#include "ops/elementwise/binary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<PowScalarAttrs> make_pow_scalar_op() {
  return {
      .name = "pow_scalar",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const PowScalarAttrs& attrs) {
            if (ctx.needs_input_grad(0)) ctx.save("x", ctx.input(0));
            const Tensor& x = ctx.input(0);
            const double p = attrs.exponent;
            TG_CHECK(x.dtype() != DType::Bool, DTypeError, "pow: expected a numeric tensor, got bool");
            const Tensor xf = is_floating(x.dtype()) ? x : x.clone_as(DType::Float32);
            return visit_floating(xf.dtype(), ctx.op_name(), [&](auto tag) {
              using T = decltype(tag);
              const T e = static_cast<T>(p);
              return kernels::unary_map<T, T>(xf, [e](T v) { return static_cast<T>(std::pow(v, e)); });
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const PowScalarAttrs& attrs) -> std::vector<Tensor> {
        const double p = attrs.exponent;
        if (p == 0.0) return {g * 0.0};
        return {g * (pow(ctx.saved("x"), p - 1.0) * p)};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 41);
            return std::vector<OpSample<PowScalarAttrs>>{
                {"[3, 4] ^ 2", {samples::arg({3, 4}, gen)}, PowScalarAttrs{2.0}},
                {"[5] ^ 3", {samples::arg({5}, gen)}, PowScalarAttrs{3.0}},
                {"[2, 3] ^ 0.5 (positive)", {samples::arg({2, 3}, gen, 0.5, 2.0)}, PowScalarAttrs{0.5}},
                {"[4] ^ -1.5 (positive)", {samples::arg({4}, gen, 0.5, 2.0)}, PowScalarAttrs{-1.5}},
                {"0-d ^ 0 (constant: zero gradient by design)", {samples::arg({}, gen)}, PowScalarAttrs{0.0}, true},
                {"[2, 0] ^ 2 (empty)", {samples::arg({2, 0}, gen)}, PowScalarAttrs{2.0}},
            };
          },
      .elementary = true,
      .summary = "x ^ p for a constant exponent p",
  };
}

Tensor pow(const Tensor& base, double exponent) {
  return call(builtin_ops().pow_scalar, {base}, PowScalarAttrs{exponent});
}

}  // namespace tg
