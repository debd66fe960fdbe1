// tril: y[.., i, j] = x[.., i, j] where j - i <= diagonal, else 0, over the last two dims (the
// leading dims are a batch). diagonal 0 is the main diagonal, positive above it.
// dx = tril(g, diagonal): the map is a projection, its own adjoint.
// Reference: where(keep, x, 0), keep built from arange and a comparison.
#include "ops/sample_inputs.hpp"
#include "ops/shape/mask_ops.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

OpDef<std::int64_t> make_tril_op() {
  return {
      .name = "tril",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const std::int64_t& diagonal) {
            return detail::triangle_forward(ctx.op_name(), ctx.input(0), diagonal, true);
          },
      .backward = [](const BackwardContext&, const Tensor& g, const std::int64_t& diagonal) -> std::vector<Tensor> {
        return {tril(g, diagonal)};
      },
      .reference = [](std::span<const Tensor> in,
                      const std::int64_t& diagonal) { return detail::triangle_composition(in[0], diagonal, true); },
      .samples = [] { return detail::triangle_samples(samples::kSeed + 520, true); },
      .summary = "keeps the lower triangle of the last two dims (batched), zeroes the rest",
  };
}

Tensor tril(const Tensor& x, std::int64_t diagonal) { return call(mask_ops().tril, {x}, diagonal); }

}  // namespace tg
