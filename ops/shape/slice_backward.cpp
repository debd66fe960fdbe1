// slice_backward: the adjoint of slice. y = zeros(input_shape) with
// y[..., start + i*step, ...] = g[..., i, ...] along dim (the rest stays 0).
// dg = slice(gg, dim, start, start + len*step, step), len = g.shape[dim].
// Reference: g dilated along dim by step (pad of an inserted dim, reshape, slice), then
// padded with zeros: start before, the rest of input_shape after.
#include "ops/builtin_ops.hpp"
#include "ops/compose.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

namespace {

// The strided view of a tensor of `a.input_shape` that the slice selected.
Tensor sliced_view(const Tensor& full, const SliceBackwardAttrs& a, std::int64_t length) {
  const auto d = static_cast<std::size_t>(a.dim);
  Shape shape = full.shape();
  Strides strides = full.strides();
  const std::int64_t offset = full.offset() + (length > 0 ? a.start * strides[d] : 0);
  shape[d] = length;
  if (length > 1) strides[d] *= a.step;  // fits: the forward checked that the view stays inside
  return raw::as_strided(full, shape, strides, offset);
}

Tensor slice_backward_composition(std::span<const Tensor> in, const SliceBackwardAttrs& a) {
  const Tensor spread = compose::dilate(in[0], a.dim, a.step);
  const std::int64_t after = a.input_shape[static_cast<std::size_t>(a.dim)] - a.start - spread.size(a.dim);
  return compose::pad_dim(spread, a.dim, a.start, after);
}

}  // namespace

OpDef<SliceBackwardAttrs> make_slice_backward_op() {
  return {
      .name = "slice_backward",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const SliceBackwardAttrs& a) {
            const Tensor& g = ctx.input(0);
            const auto rank = static_cast<std::int64_t>(a.input_shape.size());
            TG_CHECK(a.dim >= 0 && a.dim < rank && a.step >= 1 && g.dim() == rank, ShapeError,
                     "{}: invalid dim {} / step {} for gradient {} and input shape {}", ctx.op_name(), a.dim, a.step,
                     g.shape(), a.input_shape);
            const auto d = static_cast<std::size_t>(a.dim);
            const std::int64_t length = g.shape()[d];
            Shape expected = a.input_shape;
            expected[d] = length;
            const std::int64_t size = a.input_shape[d];
            // The last index start + (length - 1) * step must be < size, tested without overflow.
            TG_CHECK(g.shape() == expected && (length == 0 || (a.start >= 0 && a.start < size &&
                                                               length - 1 <= (size - 1 - a.start) / a.step)),
                     ShapeError, "{}: gradient {} does not fit input shape {} at dim {}, start {}, step {}",
                     ctx.op_name(), g.shape(), a.input_shape, a.dim, a.start, a.step);
            Tensor out = zeros(a.input_shape, {.dtype = g.dtype()});
            raw::copy_into(sliced_view(out, a, length), g);
            return out;
          },
      .backward = [](const BackwardContext& ctx, const Tensor& gg, const SliceBackwardAttrs& a) -> std::vector<Tensor> {
        const std::int64_t length = ctx.input_shape(0)[static_cast<std::size_t>(a.dim)];
        // stop just past the last index (which is < size, so this cannot overflow)
        const std::int64_t stop = length == 0 ? a.start : a.start + (length - 1) * a.step + 1;
        return {slice(gg, a.dim, a.start, stop, a.step)};
      },
      .reference = slice_backward_composition,
      .samples =
          [] {
            Generator gen(samples::kSeed + 26);
            return std::vector<OpSample<SliceBackwardAttrs>>{
                {"[3, 3] into [5, 3] at 1",
                 {samples::arg({3, 3}, gen)},
                 SliceBackwardAttrs{.input_shape = {5, 3}, .dim = 0, .start = 1, .step = 1}},
                {"[4, 2] into [4, 7] at 2::3",
                 {samples::arg({4, 2}, gen)},
                 SliceBackwardAttrs{.input_shape = {4, 7}, .dim = 1, .start = 2, .step = 3}},
                {"[0] into [4]",
                 {samples::arg({0}, gen)},
                 SliceBackwardAttrs{.input_shape = {4}, .dim = 0, .start = 4, .step = 1}},
            };
          },
      .summary = "adjoint of slice: scatter into zeros",
  };
}

Tensor slice_backward(const Tensor& g, const Shape& input_shape, std::int64_t dim, std::int64_t start,
                      std::int64_t step) {
  return call(builtin_ops().slice_backward, {g},
              SliceBackwardAttrs{.input_shape = input_shape, .dim = dim, .start = start, .step = step});
}

}  // namespace tg
