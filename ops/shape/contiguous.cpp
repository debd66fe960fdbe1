// contiguous: y = x laid out in row-major order. tg::contiguous returns x itself when it
// already is (no node); otherwise the op records a copy. dx = g.
#include "ops/builtin_ops.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

OpDef<NoAttrs> make_contiguous_op() {
  return {
      .name = "contiguous",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            const Tensor& x = ctx.input(0);
            // A contiguous input reaching the op directly gets a fresh view, never x itself.
            return x.is_contiguous() ? raw::alias(x) : x.clone_as(x.dtype());
          },
      .backward = [](const BackwardContext&, const Tensor& g, const NoAttrs&) -> std::vector<Tensor> { return {g}; },
      .samples =
          [] {
            Generator gen(samples::kSeed + 34);
            Tensor transposed = transpose(samples::arg({4, 3}, gen).detach(), 0, 1).set_requires_grad(true);
            Tensor strided = slice(samples::arg({2, 6}, gen).detach(), 1, 0, 6, 2).set_requires_grad(true);
            return std::vector<OpSample<NoAttrs>>{
                {"transposed [3, 4]", {transposed}, {}},
                {"every other column [2, 3]", {strided}, {}},
                {"already contiguous [2, 3]", {samples::arg({2, 3}, gen)}, {}},
                {"transposed [0, 3] (empty)",
                 {transpose(samples::arg({3, 0}, gen).detach(), 0, 1).set_requires_grad(true)},
                 {}},
            };
          },
      .elementary = true,
      .summary = "row-major copy of a strided tensor (identity if already contiguous)",
  };
}

Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  return call(builtin_ops().contiguous, {x});
}

}  // namespace tg
