// pad: constant padding in PyTorch order, pads = {left, right} of the last dim, then
// {top, bottom} of the one before, ...; negative pads crop. y has size
// x.size(d) + before(d) + after(d) along each padded dim, `value` outside the copy of x.
// dx = pad(g, -pads): the part of g that holds x (crop what was added, zero-fill what was cut).
#include <algorithm>

#include "ops/builtin_ops.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/checked_math.hpp"

namespace tg {

OpDef<PadAttrs> make_pad_op() {
  return {
      .name = "pad",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const PadAttrs& attrs) {
            const Tensor& x = ctx.input(0);
            const auto& pads = attrs.pads;
            TG_CHECK(pads.size() % 2 == 0 && pads.size() <= 2 * x.shape().size(), ShapeError,
                     "{}: pads {} must hold a (before, after) pair for at most each of the {} dims of shape {}",
                     ctx.op_name(), pads, x.dim(), x.shape());
            Shape out_shape = x.shape();
            // The region of x that survives (src) and where it lands in the output (dst).
            Shape kept = x.shape();
            std::int64_t src_offset = x.offset();
            std::vector<std::int64_t> dst_start(x.shape().size(), 0);
            for (std::size_t k = 0; k < pads.size() / 2; ++k) {
              const std::size_t d = x.shape().size() - 1 - k;
              const std::int64_t before = pads[2 * k];
              const std::int64_t after = pads[2 * k + 1];
              out_shape[d] = checked_add<ShapeError>(checked_add<ShapeError>(x.shape()[d], before, ctx.op_name()),
                                                     after, ctx.op_name());
              TG_CHECK(out_shape[d] >= 0, ShapeError, "{}: pads {} give dim {} of shape {} a negative size {}",
                       ctx.op_name(), pads, d, x.shape(), out_shape[d]);
              // Elements cut away at each end (negative pads; -INT64_MIN does not exist).
              const std::int64_t cut_before = before < 0 ? checked_sub<ShapeError>(0, before, ctx.op_name()) : 0;
              const std::int64_t cut_after = after < 0 ? checked_sub<ShapeError>(0, after, ctx.op_name()) : 0;
              kept[d] = std::max<std::int64_t>(0, std::max<std::int64_t>(0, x.shape()[d] - cut_before) - cut_after);
              dst_start[d] = std::max<std::int64_t>(0, before);
              if (kept[d] > 0) src_offset += cut_before * x.strides()[d];
            }
            Tensor out = full(out_shape, attrs.value, {.dtype = x.dtype()});
            if (numel(kept) == 0) return out;
            std::int64_t dst_offset = 0;
            for (std::size_t d = 0; d < dst_start.size(); ++d) dst_offset += dst_start[d] * out.strides()[d];
            raw::copy_into(raw::as_strided(out, kept, out.strides(), dst_offset),
                           raw::as_strided(x, kept, x.strides(), src_offset));
            return out;
          },
      .backward = [](const BackwardContext&, const Tensor& g, const PadAttrs& attrs) -> std::vector<Tensor> {
        std::vector<std::int64_t> negated = attrs.pads;
        for (auto& p : negated) p = -p;
        return {pad(g, negated, 0.0)};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 27);
            return std::vector<OpSample<PadAttrs>>{
                {"[3, 4] last dim (1, 2)", {samples::arg({3, 4}, gen)}, PadAttrs{.pads = {1, 2}}},
                {"[2, 3, 4] (1, 0, -1, 2) crops", {samples::arg({2, 3, 4}, gen)}, PadAttrs{.pads = {1, 0, -1, 2}}},
                {"[3, 4] (-1, -1, 2, 1) value 0.5",
                 {samples::arg({3, 4}, gen)},
                 PadAttrs{.pads = {-1, -1, 2, 1}, .value = 0.5}},
                {"[4] (0, 0)", {samples::arg({4}, gen)}, PadAttrs{.pads = {0, 0}}},
                {"[2, 3] crop all of dim 1 (-3, 1)",
                 {samples::arg({2, 3}, gen)},
                 PadAttrs{.pads = {-3, 1}},
                 true},  // output is all padding: zero gradient by design
                {"[0, 4] (1, 2) (empty)", {samples::arg({0, 4}, gen)}, PadAttrs{.pads = {1, 2}}},
                {.label = "[3, 0] (1, 2) value 0.5 (empty: all padding)",
                 .inputs = {samples::arg({3, 0}, gen)},
                 .attrs = PadAttrs{.pads = {1, 2}, .value = 0.5},
                 .expected = full({3, 3}, 0.5, {.dtype = DType::Float64})},
            };
          },
      .elementary = true,
      .summary = "constant padding, PyTorch pad order; negative pads crop",
  };
}

Tensor pad(const Tensor& x, const std::vector<std::int64_t>& pads, double value) {
  return call(builtin_ops().pad, {x}, PadAttrs{.pads = pads, .value = value});
}

}  // namespace tg
