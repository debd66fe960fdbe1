// cast: y = x converted to another dtype. Between float types dx = cast(g, x.dtype);
// integer and bool results are not differentiable. A float that does not fit int64 (NaN,
// inf, out of range) is a ValueError (convert_element).
#include "ops/builtin_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<DType> make_cast_op() {
  return {
      .name = "cast",
      .arity = 1,
      .forward = [](ForwardContext& ctx, const DType& dtype) { return ctx.input(0).clone_as(dtype, ctx.op_name()); },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const DType&) -> std::vector<Tensor> {
        return {cast(g, ctx.input_dtype(0))};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 30);
            return std::vector<OpSample<DType>>{
                {"float64 -> float64 (copy)", {samples::arg({3, 4}, gen)}, DType::Float64},
                {"float64 -> float32", {samples::arg({5}, gen)}, DType::Float32},
                {"[3, 0] float64 -> float32 (empty)", {samples::arg({3, 0}, gen)}, DType::Float32},
            };
          },
      .elementary = true,
      .summary = "dtype conversion (a copy); differentiable between float types",
  };
}

Tensor cast(const Tensor& x, DType dtype) { return call(builtin_ops().cast, {x}, dtype); }

}  // namespace tg
