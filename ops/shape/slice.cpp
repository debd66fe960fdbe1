// slice: y = x[start:stop:step] along one dim with Python semantics (negative bounds count
// from the end, out-of-range bounds are clamped, step >= 1): a strided view.
// dx = slice_backward(g): g scattered into zeros of x's shape at start, start + step, ...
// narrow(x, dim, start, length) is the slice start:start+length with strict bounds.
#include <algorithm>

#include "ops/builtin_ops.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/checked_math.hpp"

namespace tg {

namespace {

// The slice resolved against a shape: wrapped dim, first index and element count.
struct SliceRange {
  std::int64_t dim = 0;
  std::int64_t start = 0;
  std::int64_t length = 0;
  std::int64_t step = 1;
};

SliceRange resolve(const Shape& shape, const SliceAttrs& a, std::string_view op) {
  const auto rank = static_cast<std::int64_t>(shape.size());
  TG_CHECK(rank >= 1, ShapeError, "{}: cannot slice a 0-d tensor", op);
  TG_CHECK(a.step >= 1, ValueError, "{}: step must be >= 1, got {}", op, a.step);
  const std::int64_t dim = wrap_dim(a.dim, rank, op);
  const std::int64_t size = shape[static_cast<std::size_t>(dim)];
  const auto clamp_bound = [size](std::int64_t b) { return std::clamp<std::int64_t>(b < 0 ? b + size : b, 0, size); };
  const std::int64_t start = clamp_bound(a.start);
  const std::int64_t stop = clamp_bound(a.stop);
  // ceil((stop - start) / step), written so that a huge step cannot overflow.
  const std::int64_t length = stop > start ? (stop - start - 1) / a.step + 1 : 0;
  return {.dim = dim, .start = start, .length = length, .step = a.step};
}

}  // namespace

OpDef<SliceAttrs> make_slice_op() {
  return {
      .name = "slice",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const SliceAttrs& attrs) {
            const Tensor& x = ctx.input(0);
            const SliceRange r = resolve(x.shape(), attrs, ctx.op_name());
            const auto d = static_cast<std::size_t>(r.dim);
            Shape shape = x.shape();
            Strides strides = x.strides();
            const std::int64_t offset = x.offset() + (r.length > 0 ? r.start * strides[d] : 0);
            shape[d] = r.length;
            // A dim of size 0 or 1 never moves by its stride; for longer ones the product stays
            // within the storage (checked by as_strided), so it fits.
            if (r.length > 1) strides[d] = checked_mul<IndexError>(strides[d], r.step, ctx.op_name());
            return raw::as_strided(x, shape, strides, offset);
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const SliceAttrs& attrs) -> std::vector<Tensor> {
        const SliceRange r = resolve(ctx.input_shape(0), attrs, ctx.op_name());
        return {slice_backward(g, ctx.input_shape(0), r.dim, r.start, r.step)};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 25);
            Tensor transposed = transpose(samples::arg({5, 4}, gen).detach(), 0, 1).set_requires_grad(true);
            return std::vector<OpSample<SliceAttrs>>{
                {"[5, 3] rows 1:4",
                 {samples::arg({5, 3}, gen)},
                 SliceAttrs{.dim = 0, .start = 1, .stop = 4, .step = 1}},
                {"[4, 7] cols -5:100:2",
                 {samples::arg({4, 7}, gen)},
                 SliceAttrs{.dim = 1, .start = -5, .stop = 100, .step = 2}},
                {"[2, 6, 3] dim 1 ::3",
                 {samples::arg({2, 6, 3}, gen)},
                 SliceAttrs{.dim = -2, .start = 0, .stop = 6, .step = 3}},
                {"[4] empty 3:1", {samples::arg({4}, gen)}, SliceAttrs{.dim = 0, .start = 3, .stop = 1, .step = 1}},
                {"non-contiguous [4, 5] dim 1 1:5:2",
                 {transposed},
                 SliceAttrs{.dim = 1, .start = 1, .stop = 5, .step = 2}},
            };
          },
      .elementary = true,
      .summary = "x[start:stop:step] along a dim, Python semantics (strided view)",
  };
}

Tensor slice(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t stop, std::int64_t step) {
  return call(builtin_ops().slice, {x}, SliceAttrs{.dim = dim, .start = start, .stop = stop, .step = step});
}

Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length) {
  TG_CHECK(x.dim() >= 1, ShapeError, "narrow: cannot narrow a 0-d tensor");
  const std::int64_t d = wrap_dim(dim, x.dim(), "narrow");
  const std::int64_t size = x.size(d);
  TG_CHECK(start >= -size && start <= size, IndexError, "narrow: start {} is out of range for dim {} of size {}", start,
           d, size);
  const std::int64_t first = start < 0 ? start + size : start;
  TG_CHECK(length >= 0 && length <= size - first, IndexError,  // no overflow, unlike first + length
           "narrow: start {} + length {} exceeds dim {} of size {}", first, length, d, size);
  return slice(x, d, first, first + length, 1);
}

}  // namespace tg
