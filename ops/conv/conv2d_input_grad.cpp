// conv2d_input_grad: the input gradient of conv2d (the ROT180 rule), as an op of its own.
//   dx = correlate(pad(dilate(dy, s), d(k-1) - p), rot180(w) with C_in/C_out swapped per group)
// computed by the same fast routine as conv2d's forward (kernels::conv2d_input_grad_fast).
// The map is bilinear in (dy, w) and is the adjoint of x -> conv2d(x, w), so for an
// incoming gradient G of dx:
//   d dy = conv2d(G, w)              (the adjoint of the adjoint)
//   d w  = conv2d_weight_grad(G, dy) (<input_grad(dy, w), G> = <conv2d(G, w), dy>)
// Reference: the ROT180 rule spelled out with ops: dy dilated (pad of an inserted dim,
// reshape, slice), padded, and conv2d with the flipped, per-group permuted kernel.
#include "ops/builtin_ops.hpp"
#include "ops/compose.hpp"
#include "ops/conv/conv_common.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

namespace {

Tensor input_grad_forward(ForwardContext& ctx, const detail::ConvGradAttrs& a) {
  const Tensor& dy = ctx.input(0);
  const Tensor& w = ctx.input(1);
  detail::check_conv_tensor(ctx.op_name(), "output gradient", dy);
  detail::check_conv_tensor(ctx.op_name(), "weight", w);
  detail::check_same_dtype(ctx.op_name(), dy, w);
  TG_CHECK(a.size.h >= 1 && a.size.w >= 1, ValueError, "{}: input size must be positive, got ({}, {})", ctx.op_name(),
           a.size.h, a.size.w);
  const Shape x_shape{dy.size(0), w.size(1) * a.options.groups, a.size.h, a.size.w};
  const kernels::ConvLoopGeometry g =
      detail::conv2d_geometry_from_shapes(ctx.op_name(), x_shape, w.shape(), dy.shape(), a.options);
  if (ctx.needs_input_grad(1)) ctx.save("dy", dy);
  if (ctx.needs_input_grad(0)) ctx.save("w", w);
  return visit_floating(dy.dtype(), ctx.op_name(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor dyc = raw::contiguous(dy);
    const Tensor wc = raw::contiguous(w);
    Tensor dx = empty(x_shape, {.dtype = dy.dtype()});
    kernels::conv2d_input_grad_fast<T>(dyc.data<T>(), wc.data<T>(), dx.data<T>(), g);
    return dx;
  });
}

std::vector<Tensor> input_grad_backward(const BackwardContext& ctx, const Tensor& grad,
                                        const detail::ConvGradAttrs& a) {
  const Tensor dy = ctx.needs_input_grad(1) ? ctx.saved("dy") : Tensor();
  const Tensor w = ctx.needs_input_grad(0) ? ctx.saved("w") : Tensor();
  const Shape& ws = ctx.input_shape(1);
  return {
      ctx.needs_input_grad(0) ? conv2d(grad, w, Tensor(), a.options) : Tensor(),
      ctx.needs_input_grad(1) ? conv2d_weight_grad(grad, dy, {ws[2], ws[3]}, a.options) : Tensor(),
  };
}

Tensor input_grad_composition(std::span<const Tensor> in, const detail::ConvGradAttrs& a) {
  return compose::rot180_input_grad(in[0], in[1], a.size, a.options);
}

std::vector<OpSample<detail::ConvGradAttrs>> input_grad_samples() {
  Generator gen(samples::kSeed + 310);
  auto sample = [&](std::string label, Shape dys, Shape ws, Pair2 size, Conv2dOptions o) {
    return OpSample<detail::ConvGradAttrs>{
        std::move(label), {samples::arg(dys, gen), samples::arg(ws, gen)}, detail::ConvGradAttrs{o, size}};
  };
  return {
      sample("3x2 kernel into 6x5", {2, 4, 4, 4}, {4, 3, 3, 2}, {6, 5}, {}),
      sample("stride 2, padding 1, into 8x7 (last row not reached)", {1, 3, 4, 4}, {3, 2, 3, 3}, {8, 7},
             {.stride = 2, .padding = 1}),
      sample("dilation 2, stride (1, 2), padding (2, 1), groups 2", {2, 4, 9, 2}, {4, 2, 2, 3}, {7, 6},
             {.stride = {1, 2}, .padding = {2, 1}, .dilation = 2, .groups = 2}),
      sample("batch 0, 3x3 into 6x6", {0, 3, 4, 4}, {3, 2, 3, 3}, {6, 6}, {}),
      sample("batch 0, stride 2, into 6x6", {0, 3, 2, 2}, {3, 2, 3, 3}, {6, 6}, {.stride = 2}),
      {.label = "no output channels: zeros",
       .inputs = {samples::arg({2, 0, 4, 4}, gen), samples::arg({0, 2, 3, 3}, gen)},
       .attrs = detail::ConvGradAttrs{{}, {6, 6}},
       .expected = zeros({2, 2, 6, 6}, {.dtype = DType::Float64})},
  };
}

}  // namespace

OpDef<detail::ConvGradAttrs> make_conv2d_input_grad_op() {
  return {
      .name = "conv2d_input_grad",
      .arity = 2,
      .forward = input_grad_forward,
      .backward = input_grad_backward,
      .reference = input_grad_composition,
      .samples = input_grad_samples,
      .summary = "conv2d's input gradient: dilated dy (*) rot180(w), channels swapped",
  };
}

Tensor conv2d_input_grad(const Tensor& grad_output, const Tensor& weight, Pair2 input_size, Conv2dOptions options) {
  return call(builtin_ops().conv2d_input_grad, {grad_output, weight}, detail::ConvGradAttrs{options, input_size});
}

}  // namespace tg
