// conv_transpose2d: the input-gradient map of conv2d used as a forward op.
//   y = conv2d_input_grad(x, w) + b,  with y of size (H-1)*s - 2p + d(k-1) + output_padding + 1
// where x [N, C_in, H, W] plays the role of conv2d's output gradient and w [C_in, C_out/groups,
// kH, kW] is the weight of the conv2d that maps y's shape back to x's shape. Backward, since
// the map is conv2d's adjoint:
//   dx = conv2d(dy, w)   (a convolution),   dw = conv2d_weight_grad(dy, x),   db = sum of dy over n, i, j.
// output_padding may reach max(stride, dilation) - 1, as in PyTorch. Past the stride, y has
// rows conv2d would map to inputs x does not have: x is extended by zero rows (and columns)
// to the size of that conv2d's output, and dx cropped back to x's size.
// Reference: the ROT180 rule spelled out with ops (x dilated by the stride, padded by
// d(k-1) - p before and d(k-1) - p + output_padding after, conv2d with the flipped,
// per-group permuted kernel), plus the bias; it needs no extension of x.
#include <algorithm>

#include "ops/builtin_ops.hpp"
#include "ops/compose.hpp"
#include "ops/conv/conv_common.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduction.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/checked_math.hpp"

namespace tg {

namespace {

// The rows and columns conv2d maps y to beyond x's size: floor(output_padding / stride)
// (0 unless output_padding >= stride, which dilation > stride allows).
Pair2 extra_input_size(const ConvTranspose2dOptions& o) {
  return {o.output_padding.h / o.stride.h, o.output_padding.w / o.stride.w};
}

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
  const Pair2 limit{std::max(o.stride.h, o.dilation.h), std::max(o.stride.w, o.dilation.w)};
  TG_CHECK(o.output_padding.h >= 0 && o.output_padding.w >= 0 && o.output_padding.h < limit.h &&
               o.output_padding.w < limit.w,
           ValueError,
           "{}: output_padding ({}, {}) must be >= 0 and smaller than max(stride, dilation) = ({}, {}) "
           "(stride ({}, {}), dilation ({}, {}))",
           op, o.output_padding.h, o.output_padding.w, limit.h, limit.w, o.stride.h, o.stride.w, o.dilation.h,
           o.dilation.w);
  TG_CHECK(x.size(1) == w.size(0), ShapeError, "{}: input {} has {} channels but weight {} expects {}", op, x.shape(),
           x.size(1), w.shape(), w.size(0));
  const std::int64_t out_channels = w.size(1) * o.groups;
  if (b.defined()) {
    detail::check_conv_tensor(op, "bias", b, 1);
    detail::check_same_dtype(op, x, b);
    TG_CHECK(b.size(0) == out_channels, ShapeError, "{}: bias {} does not match the {} output channels of weight {}",
             op, b.shape(), out_channels, w.shape());
  }
  // (in - 1) * s - 2p + d (k - 1) + output_padding + 1 = (in - 1) * s + dilated kernel - 2p + output_padding,
  // each step exact or a ValueError.
  const auto out_size = [&](std::int64_t in, std::int64_t stride, std::int64_t padding, std::int64_t kernel,
                            std::int64_t dilation, std::int64_t output_padding) {
    std::int64_t r = 0;
    TG_CHECK(!mul_overflows(in - 1, stride, r) && !add_overflows(r, detail::dilated_size(op, kernel, dilation), r) &&
                 !add_overflows(r, output_padding, r),
             ValueError, "{}: the output size of input {} with weight {}, stride {} and dilation {} overflows int64",
             op, x.shape(), w.shape(), stride, dilation);
    return r - checked_mul(padding, std::int64_t{2}, op);  // r >= 1 and padding >= 0: the difference fits
  };
  const std::int64_t out_h = out_size(x.size(2), o.stride.h, o.padding.h, w.size(2), o.dilation.h, o.output_padding.h);
  const std::int64_t out_w = out_size(x.size(3), o.stride.w, o.padding.w, w.size(3), o.dilation.w, o.output_padding.w);
  TG_CHECK(out_h >= 1 && out_w >= 1, ShapeError,
           "{}: input {} with weight {} and padding ({}, {}) gives an empty output {}x{}", op, x.shape(), w.shape(),
           o.padding.h, o.padding.w, out_h, out_w);
  const Pair2 extra = extra_input_size(o);
  const Shape conv_out{x.size(0), x.size(1), x.size(2) + extra.h, x.size(3) + extra.w};
  return detail::conv2d_geometry_from_shapes(op, {x.size(0), out_channels, out_h, out_w}, w.shape(), conv_out, conv);
}

// x extended by zero rows and columns at the end to the size of the adjoint conv2d's output,
// and the inverse crop (which gives dx from that conv2d's output).
Tensor extend_input(const Tensor& x, const ConvTranspose2dOptions& o) {
  const Pair2 extra = extra_input_size(o);
  return extra == Pair2(0) ? x : pad(x, {0, extra.w, 0, extra.h});
}
Tensor crop_to_input(const Tensor& conv_out, const ConvTranspose2dOptions& o) {
  const Pair2 extra = extra_input_size(o);
  return extra == Pair2(0) ? conv_out : pad(conv_out, {0, -extra.w, 0, -extra.h});
}

Tensor transpose_forward(ForwardContext& ctx, const ConvTranspose2dOptions& options) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  const Tensor& b = ctx.input(2);
  const kernels::ConvLoopGeometry g = transpose_geometry(ctx.op_name(), x, w, b, options);
  if (ctx.needs_input_grad(1)) ctx.save("x", x);
  if (ctx.needs_input_grad(0)) ctx.save("w", w);
  return visit_floating(x.dtype(), ctx.op_name(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor xc = raw::contiguous(extend_input(x, options));
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

std::vector<Tensor> transpose_backward(const BackwardContext& ctx, const Tensor& dy, const ConvTranspose2dOptions& o) {
  const Conv2dOptions conv = as_conv_options(o);
  const Tensor x = ctx.needs_input_grad(1) ? ctx.saved("x") : Tensor();
  const Tensor w = ctx.needs_input_grad(0) ? ctx.saved("w") : Tensor();
  const Shape& ws = ctx.input_shape(1);
  return {
      ctx.needs_input_grad(0) ? crop_to_input(conv2d(dy, w, Tensor(), conv), o) : Tensor(),
      ctx.needs_input_grad(1) ? conv2d_weight_grad(dy, extend_input(x, o), {ws[2], ws[3]}, conv) : Tensor(),
      ctx.needs_input_grad(2) ? detail::conv_bias_grad(dy) : Tensor(),
  };
}

Tensor transpose_composition(std::span<const Tensor> in, const ConvTranspose2dOptions& o) {
  const Tensor& x = in[0];
  const Tensor& w = in[1];
  const Tensor& b = in[2];
  const auto out_size = [](std::int64_t in_size, std::int64_t s, std::int64_t p, std::int64_t k, std::int64_t d,
                           std::int64_t op) { return (in_size - 1) * s - 2 * p + d * (k - 1) + op + 1; };
  const Pair2 size{out_size(x.size(2), o.stride.h, o.padding.h, w.size(2), o.dilation.h, o.output_padding.h),
                   out_size(x.size(3), o.stride.w, o.padding.w, w.size(3), o.dilation.w, o.output_padding.w)};
  const Tensor y = compose::rot180_input_grad(x, w, size, as_conv_options(o));
  return b.defined() ? y + reshape(b, {1, b.size(0), 1, 1}) : y;
}

std::vector<OpSample<ConvTranspose2dOptions>> transpose_samples() {
  Generator gen(samples::kSeed + 330);
  // Every sample has a bias: gradcheck needs defined inputs (tests/test_conv_transpose.cpp covers no bias).
  auto sample = [&](std::string label, Shape xs, Shape ws, ConvTranspose2dOptions o) {
    Tensor b = samples::arg({ws[1] * o.groups}, gen);
    return OpSample<ConvTranspose2dOptions>{std::move(label), {samples::arg(xs, gen), samples::arg(ws, gen), b}, o};
  };
  return {
      sample("3x2 kernel", {2, 3, 4, 4}, {3, 2, 3, 2}, {}),
      sample("stride 2, padding 1, output_padding 1", {1, 2, 3, 4}, {2, 3, 3, 3},
             {.stride = 2, .padding = 1, .output_padding = 1}),
      sample("stride (2, 3), dilation 2, groups 2", {2, 4, 3, 3}, {4, 1, 2, 3},
             {.stride = {2, 3}, .padding = {1, 0}, .output_padding = {0, 2}, .dilation = 2, .groups = 2}),
      sample("stride 1, dilation 2, output_padding 1 (beyond the stride)", {1, 2, 3, 3}, {2, 2, 2, 2},
             {.output_padding = 1, .dilation = 2}),
      sample("stride (2, 1), dilation 3, output_padding (2, 2)", {2, 2, 2, 3}, {2, 1, 2, 2},
             {.stride = {2, 1}, .padding = {0, 1}, .output_padding = 2, .dilation = 3}),
      sample("batch 0, stride 2", {0, 2, 4, 4}, {2, 3, 3, 3}, {.stride = 2}),
      sample("no input channels: the bias", {1, 0, 4, 4}, {0, 3, 3, 3}, {}),
      sample("no output channels", {2, 2, 4, 4}, {2, 0, 3, 3}, {}),
  };
}

}  // namespace

OpDef<ConvTranspose2dOptions> make_conv_transpose2d_op() {
  return {
      .name = "conv_transpose2d",
      .arity = 3,
      .forward = transpose_forward,
      .backward = transpose_backward,
      .reference = transpose_composition,
      .samples = transpose_samples,
      .summary = "transposed convolution (conv2d's input-gradient map as a forward op)",
  };
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, ConvTranspose2dOptions options) {
  return call(builtin_ops().conv_transpose2d, {x, weight, bias}, options);
}

}  // namespace tg
