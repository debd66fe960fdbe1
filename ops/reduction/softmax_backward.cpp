// softmax_backward: dx = y * (g - s), s = sum(g * y, dim, keepdim): the softmax Jacobian at
// output y applied to the gradient g, without forming it (softmax's backward and attention's).
// Along the last dim of a contiguous pair it is one pass per row (softmax_kernels.hpp) with
// the bits of the composition below; along another dim, that composition.
// Gradients: d/dg = softmax_backward(gg, y); d/dy = gg * (g - s) - g * sum(gg * y, dim, keepdim).
// Reference: y * (g - sum(g * y, dim, keepdim)) with ops.
#include "ops/builtin_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/kernels/math/softmax_kernels.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/reduce_attrs.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

namespace {

Tensor softmax_backward_composition(const Tensor& g, const Tensor& y, std::int64_t dim) {
  return y * (g - sum(g * y, {dim}, true));
}

Tensor softmax_backward_forward(ForwardContext& ctx, const std::int64_t& dim) {
  const Tensor& g = ctx.input(0);
  const Tensor& y = ctx.input(1);
  TG_CHECK(g.shape() == y.shape(), ShapeError, "{}: gradient {} and softmax output {} differ in shape", ctx.op_name(),
           g.shape(), y.shape());
  if (ctx.needs_input_grad(0) || ctx.needs_input_grad(1)) {
    ctx.save("g", g);
    ctx.save("y", y);
  }
  const std::int64_t d = wrap_dim(dim, y.dim(), ctx.op_name());
  if (d != y.dim() - 1 || y.numel() == 0 || g.dtype() != y.dtype() || !y.is_floating_point()) {
    return softmax_backward_composition(g, y, d);  // the forward runs without recording
  }
  return visit_floating(y.dtype(), ctx.op_name(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor gc = raw::contiguous(g), yc = raw::contiguous(y);
    Tensor dx = empty(y.shape(), {.dtype = y.dtype()});
    const std::int64_t n = y.size(d);
    kernels::softmax_backward_rows<T>(gc.data<T>(), yc.data<T>(), dx.data<T>(), y.numel() / n, n);
    return dx;
  });
}

std::vector<Tensor> softmax_backward_backward(const BackwardContext& ctx, const Tensor& gg, const std::int64_t& dim) {
  const Tensor& g = ctx.saved("g");
  const Tensor& y = ctx.saved("y");
  std::vector<Tensor> grads(2);
  if (ctx.needs_input_grad(0)) grads[0] = softmax_backward(gg, y, dim);
  if (ctx.needs_input_grad(1)) grads[1] = gg * (g - sum(g * y, {dim}, true)) - g * sum(gg * y, {dim}, true);
  return grads;
}

}  // namespace

OpDef<std::int64_t> make_softmax_backward_op() {
  return {
      .name = "softmax_backward",
      .arity = 2,
      .forward = softmax_backward_forward,
      .backward = softmax_backward_backward,
      .reference = [](std::span<const Tensor> in,
                      const std::int64_t& dim) { return softmax_backward_composition(in[0], in[1], dim); },
      .samples =
          [] {
            Generator gen(samples::kSeed + 17);
            const auto pair = [&](const Shape& s) {
              return std::vector<Tensor>{samples::arg(s, gen), samples::arg(s, gen, 0.05, 1.0)};
            };
            Tensor base = samples::arg({4, 3, 2}, gen);
            Tensor strided = raw::as_strided(base.detach(), {2, 3, 4}, {1, 2, 6}, 0).set_requires_grad(true);
            return std::vector<OpSample<std::int64_t>>{
                {"[3, 4] dim 1 (rows)", pair({3, 4}), std::int64_t{1}},
                {"[2, 3, 5] dim -1", pair({2, 3, 5}), std::int64_t{-1}},
                {"[2, 3, 4] dim 1 (the composition)", pair({2, 3, 4}), std::int64_t{1}},
                {"non-contiguous gradient, dim -1",
                 {strided, samples::arg({2, 3, 4}, gen, 0.05, 1.0)},
                 std::int64_t{-1}},
                {"[5] dim 0", pair({5}), std::int64_t{0}},
                {"[0, 3] dim 1 (empty)", pair({0, 3}), std::int64_t{1}},
                {"[3, 0] dim 1 (empty rows)", pair({3, 0}), std::int64_t{1}},
                {.label = "shapes differ",
                 .inputs = {samples::arg({2, 3}, gen), samples::arg({3, 2}, gen)},
                 .attrs = std::int64_t{1},
                 .rejects = &typeid(ShapeError)},
            };
          },
      .summary = "y * (g - sum(g * y, dim)): softmax's gradient map at output y",
  };
}

Tensor softmax_backward(const Tensor& grad, const Tensor& output, std::int64_t dim) {
  return call(builtin_ops().softmax_backward, {grad, output}, dim);
}

}  // namespace tg
