// cat: y = the inputs joined along `dim` (all other dims equal; dtypes promoted).
// dx_i = slice(g, dim, o_i, o_i + n_i), o_i = n_0 + ... + n_{i-1}, cast back to x_i's dtype.
// stack(xs, dim) = cat of each x unsqueezed at dim.
#include "ops/builtin_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/checked_math.hpp"

namespace tg {

namespace {

// Wraps dim and checks every input matches the first one outside dim.
std::int64_t checked_cat_dim(std::span<const Shape* const> shapes, std::int64_t dim, std::string_view op) {
  TG_CHECK(!shapes.empty(), ValueError, "{}: expected at least one tensor", op);
  const Shape& first = *shapes[0];
  TG_CHECK(!first.empty(), ShapeError, "{}: zero-dimensional tensors cannot be concatenated", op);
  const std::int64_t d = wrap_dim(dim, static_cast<std::int64_t>(first.size()), op);
  for (std::size_t i = 1; i < shapes.size(); ++i) {
    const Shape& s = *shapes[i];
    bool ok = s.size() == first.size();
    for (std::size_t k = 0; ok && k < s.size(); ++k) ok = static_cast<std::int64_t>(k) == d || s[k] == first[k];
    TG_CHECK(ok, ShapeError, "{}: tensor {} has shape {}, which does not match shape {} of tensor 0 outside dim {}", op,
             i, s, first, d);
  }
  return d;
}

std::int64_t cat_dim(std::span<const Tensor> tensors, std::int64_t dim, std::string_view op) {
  std::vector<const Shape*> shapes;
  for (const Tensor& t : tensors) shapes.push_back(&t.shape());
  return checked_cat_dim(shapes, dim, op);
}

}  // namespace

OpDef<std::int64_t> make_cat_op() {
  return {
      .name = "cat",
      .arity = -1,
      .forward =
          [](ForwardContext& ctx, const std::int64_t& dim) {
            const auto inputs = ctx.inputs();
            const std::int64_t d = cat_dim(inputs, dim, ctx.op_name());
            const auto di = static_cast<std::size_t>(d);
            Shape shape = inputs[0].shape();
            shape[di] = 0;
            DType dtype = inputs[0].dtype();
            for (const Tensor& t : inputs) {
              shape[di] = checked_add<ShapeError>(shape[di], t.shape()[di], ctx.op_name());
              dtype = promote_types(dtype, t.dtype());
            }
            Tensor out = empty(shape, {.dtype = dtype});
            std::int64_t at = 0;
            for (const Tensor& t : inputs) {
              if (t.numel() > 0)
                raw::copy_into(raw::as_strided(out, t.shape(), out.strides(), at * out.strides()[di]), t);
              at += t.shape()[di];
            }
            return out;
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const std::int64_t& dim) -> std::vector<Tensor> {
        std::vector<const Shape*> shapes;
        for (std::size_t i = 0; i < ctx.num_inputs(); ++i) shapes.push_back(&ctx.input_shape(i));
        const std::int64_t d = checked_cat_dim(shapes, dim, ctx.op_name());
        std::vector<Tensor> grads(ctx.num_inputs());
        std::int64_t at = 0;
        for (std::size_t i = 0; i < ctx.num_inputs(); ++i) {
          const std::int64_t n = ctx.input_shape(i)[static_cast<std::size_t>(d)];
          if (ctx.needs_input_grad(i)) {
            Tensor gi = slice(g, d, at, at + n);
            grads[i] = gi.dtype() == ctx.input_dtype(i) ? gi : cast(gi, ctx.input_dtype(i));
          }
          at += n;
        }
        return grads;
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 29);
            Tensor transposed = transpose(samples::arg({3, 2}, gen).detach(), 0, 1).set_requires_grad(true);
            return std::vector<OpSample<std::int64_t>>{
                {"[2, 3] + [4, 3] dim 0", {samples::arg({2, 3}, gen), samples::arg({4, 3}, gen)}, std::int64_t{0}},
                {"[2, 1, 3] + [2, 2, 3] + [2, 3, 3] dim 1",
                 {samples::arg({2, 1, 3}, gen), samples::arg({2, 2, 3}, gen), samples::arg({2, 3, 3}, gen)},
                 std::int64_t{1}},
                {"[2, 2] + non-contiguous [2, 3] + constant [2, 1] dim -1",
                 {samples::arg({2, 2}, gen), transposed, samples::constant({2, 1}, gen)},
                 std::int64_t{-1}},
                {"[3] + [0] dim 0", {samples::arg({3}, gen), samples::arg({0}, gen)}, std::int64_t{0}},
                {"single [2, 2]", {samples::arg({2, 2}, gen)}, std::int64_t{1}},
            };
          },
      .elementary = true,
      .summary = "concatenate along a dim",
  };
}

Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) { return call(builtin_ops().cat, tensors, dim); }

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
  TG_CHECK(!tensors.empty(), ValueError, "stack: expected at least one tensor");
  for (std::size_t i = 1; i < tensors.size(); ++i) {
    TG_CHECK(tensors[i].shape() == tensors[0].shape(), ShapeError,
             "stack: tensor {} has shape {} but tensor 0 has shape {}", i, tensors[i].shape(), tensors[0].shape());
  }
  const std::int64_t d = wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  for (const Tensor& t : tensors) parts.push_back(unsqueeze(t, d));
  return cat(parts, d);
}

}  // namespace tg
