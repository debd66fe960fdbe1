// conv_transpose2d: the input-gradient map of conv2d used as a forward op.
//   y = conv2d_input_grad(x, w) + b,  with y of size (H-1)*s - 2p + d(k-1) + output_padding + 1
// where x [N, C_in, H, W] plays the role of conv2d's output gradient and w [C_in, C_out/groups,
// kH, kW] is the weight of the conv2d that maps y's shape back to x's shape. Backward, since
// the map is conv2d's adjoint:
//   dx = conv2d(dy, w)   (a convolution),   dw = conv2d_weight_grad(dy, x),   db = sum of dy over n, i, j.
#include "ops/conv/conv_common.hpp"
#include "ops/reduction.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

namespace {

Conv2dOptions as_conv_options(const ConvTranspose2dOptions& o) {
  return {.stride = o.stride, .padding = o.padding, .dilation = o.dilation, .groups = o.groups};
}

// Checks x, w, b and the options; returns the geometry of the conv2d whose input gradient this is.
kernels::ConvLoopGeometry transpose_geometry(std::string_view op, const Tensor& x, const Tensor& w, const Tensor& b,
                                             const ConvTranspose2dOptions& o) {
  detail::check_conv_tensor(op, "input", x);
  detail::check_conv_tensor(op, "weight", w);
  detail::check_same_dtype(op, x, w);
  const Conv2dOptions conv = as_conv_options(o);
  detail::check_conv_options(op, conv);
  TG_CHECK(o.output_padding.h >= 0 && o.output_padding.w >= 0 && o.output_padding.h < o.stride.h &&
               o.output_padding.w < o.stride.w,
           ValueError, "{}: output_padding ({}, {}) must be >= 0 and smaller than the stride ({}, {})", op,
           o.output_padding.h, o.output_padding.w, o.stride.h, o.stride.w);
  TG_CHECK(x.size(1) == w.size(0), ShapeError, "{}: input {} has {} channels but weight {} expects {}", op, x.shape(),
           x.size(1), w.shape(), w.size(0));
  const std::int64_t out_channels = w.size(1) * o.groups;
  if (b.defined()) {
    detail::check_conv_tensor(op, "bias", b, 1);
    detail::check_same_dtype(op, x, b);
    TG_CHECK(b.size(0) == out_channels, ShapeError, "{}: bias {} does not match the {} output channels of weight {}",
             op, b.shape(), out_channels, w.shape());
  }
  const std::int64_t out_h =
      (x.size(2) - 1) * o.stride.h - 2 * o.padding.h + o.dilation.h * (w.size(2) - 1) + o.output_padding.h + 1;
  const std::int64_t out_w =
      (x.size(3) - 1) * o.stride.w - 2 * o.padding.w + o.dilation.w * (w.size(3) - 1) + o.output_padding.w + 1;
  TG_CHECK(out_h >= 1 && out_w >= 1, ShapeError, "{}: input {} with weight {} and padding ({}, {}) gives an empty output {}x{}",
           op, x.shape(), w.shape(), o.padding.h, o.padding.w, out_h, out_w);
  return detail::conv2d_geometry_from_shapes(op, {x.size(0), out_channels, out_h, out_w}, w.shape(), x.shape(), conv);
}

Tensor transpose_forward(ForwardContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  const Tensor& b = ctx.input(2);
  const kernels::ConvLoopGeometry g = transpose_geometry(ctx.op_name(), x, w, b, ctx.attrs<ConvTranspose2dOptions>());
  if (ctx.needs_input_grad(1)) ctx.save(x);
  if (ctx.needs_input_grad(0)) ctx.save(w);
  return visit_floating(x.dtype(), ctx.op_name(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor xc = raw::contiguous(x);
    const Tensor wc = raw::contiguous(w);
    Tensor y = empty({g.batch, g.in_channels, g.in_h, g.in_w}, {.dtype = x.dtype()});
    kernels::conv2d_input_grad_fast<T>(xc.data<T>(), wc.data<T>(), y.data<T>(), g);
    if (b.defined()) {
      const Tensor bc = raw::contiguous(b);
      const T* bias = bc.data<T>();
      T* out = y.data<T>();
      const std::int64_t plane = g.in_h * g.in_w;
      for (std::int64_t nk = 0; nk < g.batch * g.in_channels; ++nk) {
        for (std::int64_t e = 0; e < plane; ++e) out[nk * plane + e] += bias[nk % g.in_channels];
      }
    }
    return y;
  });
}

std::vector<Tensor> transpose_backward(const BackwardContext& ctx, const Tensor& dy) {
  const Conv2dOptions conv = as_conv_options(ctx.attrs<ConvTranspose2dOptions>());
  std::size_t next = 0;
  const Tensor x = ctx.needs_input_grad(1) ? ctx.saved(next++) : Tensor();
  const Tensor w = ctx.needs_input_grad(0) ? ctx.saved(next++) : Tensor();
  const Shape& ws = ctx.input_shape(1);
  return {
      ctx.needs_input_grad(0) ? conv2d(dy, w, Tensor(), conv) : Tensor(),
      ctx.needs_input_grad(1) ? conv2d_weight_grad(dy, x, {ws[2], ws[3]}, conv) : Tensor(),
      ctx.needs_input_grad(2) ? detail::conv_bias_grad(dy) : Tensor(),
  };
}

std::vector<OpSample> transpose_samples() {
  Generator gen(samples::kSeed + 330);
  // Every sample has a bias: gradcheck needs defined inputs (tests/test_conv_transpose.cpp covers no bias).
  auto sample = [&](std::string label, Shape xs, Shape ws, ConvTranspose2dOptions o) {
    Tensor b = samples::arg({ws[1] * o.groups}, gen);
    return OpSample{std::move(label), {samples::arg(xs, gen), samples::arg(ws, gen), b}, o};
  };
  return {
      sample("3x2 kernel", {2, 3, 4, 4}, {3, 2, 3, 2}, {}),
      sample("stride 2, padding 1, output_padding 1", {1, 2, 3, 4}, {2, 3, 3, 3},
             {.stride = 2, .padding = 1, .output_padding = 1}),
      sample("stride (2, 3), dilation 2, groups 2", {2, 4, 3, 3}, {4, 1, 2, 3},
             {.stride = {2, 3}, .padding = {1, 0}, .output_padding = {0, 2}, .dilation = 2, .groups = 2}),
      sample("batch 0, stride 2", {0, 2, 4, 4}, {2, 3, 3, 3}, {.stride = 2}),
      sample("no input channels: the bias", {1, 0, 4, 4}, {0, 3, 3, 3}, {}),
      sample("no output channels", {2, 2, 4, 4}, {2, 0, 3, 3}, {}),
  };
}

}  // namespace

OpDef make_conv_transpose2d_op() {
  return {
      .name = "conv_transpose2d",
      .arity = 3,
      .forward = transpose_forward,
      .backward = transpose_backward,
      .samples = transpose_samples,
      .summary = "transposed convolution (conv2d's input-gradient map as a forward op)",
  };
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, ConvTranspose2dOptions options) {
  static const OpDef& op = registry().get("conv_transpose2d");
  return call(op, {x, weight, bias}, options);
}

}  // namespace tg
