// clamp: y = min(max(x, lo), hi) with either bound optional (hi wins if lo > hi).
// dx = g where lo <= x <= hi (bounds included, as PyTorch), 0 outside.
// An int64 x with a non-integral bound gives float32, like scalar_like.
// Reference: where(x > hi, hi, where(x < lo, lo, x)) (NaN fails both tests and stays).
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "ops/builtin_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/elementwise/unary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {
namespace {

double lower(const ClampAttrs& a) { return a.min.value_or(-std::numeric_limits<double>::infinity()); }
double upper(const ClampAttrs& a) { return a.max.value_or(std::numeric_limits<double>::infinity()); }

bool integral(std::optional<double> v) { return !v || std::floor(*v) == *v; }

// A bound converted to T, saturating instead of the undefined out-of-range conversion.
template <class T>
T saturate(double v) {
  if constexpr (std::is_integral_v<T>) {
    constexpr double kTwo63 = 9223372036854775808.0;
    if (v >= kTwo63) return std::numeric_limits<T>::max();
    if (v < -kTwo63) return std::numeric_limits<T>::min();
  } else {
    if (v > static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::infinity();
    if (v < static_cast<double>(std::numeric_limits<T>::lowest())) return -std::numeric_limits<T>::infinity();
  }
  return static_cast<T>(v);
}

Tensor clamp_composition(std::span<const Tensor> in, const ClampAttrs& a) {
  Tensor y = in[0];
  // The upper bound applies last, so it wins when lo > hi.
  if (a.min) y = where(lt(y, scalar_like(y, *a.min)), scalar_like(y, *a.min), y);
  if (a.max) y = where(gt(y, scalar_like(y, *a.max)), scalar_like(y, *a.max), y);
  return y;
}

}  // namespace

OpDef<ClampAttrs> make_clamp_op() {
  return {
      .name = "clamp",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const ClampAttrs& attrs) {
            if (ctx.needs_input_grad(0)) ctx.save("x", ctx.input(0));
            Tensor x = ctx.input(0);
            if (x.dtype() == DType::Int64 && !(integral(attrs.min) && integral(attrs.max)))
              x = x.clone_as(DType::Float32);
            const double lo = lower(attrs);
            const double hi = upper(attrs);
            return visit_numeric(x.dtype(), ctx.op_name(), [&](auto tag) {
              using T = decltype(tag);
              const T lo_t = saturate<T>(lo);
              const T hi_t = saturate<T>(hi);
              return kernels::unary_map<T, T>(x, [lo_t, hi_t](T v) {
                if (v != v) return v;  // NaN propagates
                const T r = v < lo_t ? lo_t : v;
                return r > hi_t ? hi_t : r;
              });
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const ClampAttrs& attrs) -> std::vector<Tensor> {
        const double lo = lower(attrs);
        const double hi = upper(attrs);
        // The mask is piecewise constant: a raw tensor, no gradient of its own.
        const Tensor mask = visit_floating(ctx.saved("x").dtype(), "clamp backward", [&](auto tag) {
          using T = decltype(tag);
          const T lo_t = saturate<T>(lo);
          const T hi_t = saturate<T>(hi);
          return kernels::unary_map<T, T>(ctx.saved("x"),
                                          [lo_t, hi_t](T v) { return v >= lo_t && v <= hi_t ? T(1) : T(0); });
        });
        return {g * mask};
      },
      .reference = clamp_composition,
      .samples =
          [] {
            // Distinct values on a 0.1 grid offset by 0.05; bounds on the grid, between values.
            Generator gen(samples::kSeed + 44);
            return std::vector<OpSample<ClampAttrs>>{
                {"[3, 4] in [-0.3, 0.2]", {samples::distinct_arg({3, 4}, gen, 0.1)}, ClampAttrs{-0.3, 0.2}},
                {"[10] min -0.2", {samples::distinct_arg({10}, gen, 0.1)}, ClampAttrs{-0.2, std::nullopt}},
                {"[2, 4] max 0.1", {samples::distinct_arg({2, 4}, gen, 0.1)}, ClampAttrs{std::nullopt, 0.1}},
                {"[0, 4] (empty)", {samples::distinct_arg({0, 4}, gen, 0.1)}, ClampAttrs{-0.3, 0.2}},
            };
          },
      .summary = "min(max(x, min), max), either bound optional; gradient 1 on [min, max]",
  };
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  TG_CHECK(min || max, ValueError, "clamp: at least one of min and max must be given");
  TG_CHECK(!(min && std::isnan(*min)) && !(max && std::isnan(*max)), ValueError,
           "clamp: bounds must not be NaN (min {}, max {})", min.value_or(0.0), max.value_or(0.0));
  return call(builtin_ops().clamp, {x}, ClampAttrs{min, max});
}

}  // namespace tg
