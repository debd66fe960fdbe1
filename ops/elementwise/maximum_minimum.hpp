// Shared definition of maximum and minimum (they differ only in the comparison).
//   y = max(a, b)  (or min), broadcasting; NaN propagates.
//   da = g * w, db = g * (1 - w) with w = 1 where a wins, 0 where b wins, 1/2 on ties;
//   each summed back to its shape. w is piecewise constant, so the rule is its own
//   derivative almost everywhere and double backward needs nothing more.
#pragma once

#include <string>

#include "ops/elementwise/binary.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg::detail {

// `better(x, y)`: x strictly beats y (x > y for maximum, x < y for minimum).
template <class Better>
OpDef<NoAttrs> make_extremum_op(std::string name, std::string summary, std::uint64_t seed, Better better) {
  return {
      .name = std::move(name),
      .arity = 2,
      .forward =
          [better](ForwardContext& ctx, const NoAttrs&) {
            if (ctx.needs_input_grad(0) || ctx.needs_input_grad(1)) {
              ctx.save("a", ctx.input(0));
              ctx.save("b", ctx.input(1));
            }
            return broadcast_binary(ctx.op_name(), ctx.input(0), ctx.input(1), [better](auto x, auto y) {
              if (x != x) return x;  // NaN (never for int64)
              if (y != y) return y;
              return better(y, x) ? y : x;
            });
          },
      .backward = [better](const BackwardContext& ctx, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> {
        const Tensor& a = ctx.saved("a");
        const Tensor& b = ctx.saved("b");
        // Weights are constants of the graph (raw tensors): they carry no gradient.
        auto weight = [&](const Tensor& u, const Tensor& v) {
          return broadcast_binary("backward", u, v, [better](auto x, auto y) {
            using T = decltype(x);
            return better(x, y) ? T(1) : x == y ? static_cast<T>(0.5) : T(0);
          });
        };
        return {ctx.needs_input_grad(0) ? reduce_grad(ctx, 0, g * weight(a, b)) : Tensor(),
                ctx.needs_input_grad(1) ? reduce_grad(ctx, 1, g * weight(b, a)) : Tensor()};
      },
      .samples =
          [seed] {
            // Distinct values keep finite differences away from ties; a separate tie sample
            // is not gradient-checkable (the function has a kink there), tests cover it.
            Generator gen(seed);
            std::vector<OpSample<NoAttrs>> out;
            for (const auto& [sa, sb] : samples::binary_broadcast_shapes()) {
              // Interleave the grids of a and b (offset by half a gap) so no pair is equal.
              Tensor a = samples::distinct_arg(sa, gen, 0.1);
              Tensor b = samples::distinct_arg(sb, gen, 0.1);
              Tensor shifted = add(b.detach(), scalar_tensor(0.025, {.dtype = DType::Float64})).set_requires_grad(true);
              out.push_back({fmt::format("{} with {}", sa, sb), {a, shifted}, {}});
            }
            return out;
          },
      .elementary = true,
      .summary = std::move(summary),
  };
}

}  // namespace tg::detail
