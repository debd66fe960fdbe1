// triu: y[.., i, j] = x[.., i, j] where j - i >= diagonal, else 0, over the last two dims (the
// leading dims are a batch). diagonal 0 is the main diagonal, positive above it.
// dx = triu(g, diagonal): the map is a projection, its own adjoint.
// Reference: where(keep, x, 0), keep built from arange and a comparison.
#include "ops/sample_inputs.hpp"
#include "ops/shape/mask_ops.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

OpDef<std::int64_t> make_triu_op() {
  return {
      .name = "triu",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const std::int64_t& diagonal) {
            return detail::triangle_forward(ctx.op_name(), ctx.input(0), diagonal, false);
          },
      .backward = [](const BackwardContext&, const Tensor& g, const std::int64_t& diagonal) -> std::vector<Tensor> {
        return {triu(g, diagonal)};
      },
      .reference = [](std::span<const Tensor> in,
                      const std::int64_t& diagonal) { return detail::triangle_composition(in[0], diagonal, false); },
      .samples = [] { return detail::triangle_samples(samples::kSeed + 521, false); },
      .summary = "keeps the upper triangle of the last two dims (batched), zeroes the rest",
  };
}

Tensor triu(const Tensor& x, std::int64_t diagonal) { return call(mask_ops().triu, {x}, diagonal); }

}  // namespace tg
