// conv2d: cross-correlation over NCHW (see docs/convolution.md for the derivation).
//   y[n,k,i,j] = b[k] + sum_{c,u,v} w[k,c,u,v] * x[n, g*Cg + c, i*s + u*d - p, j*s + v*d - p]
// Backward, each map itself a differentiable op:
//   dx = conv2d_input_grad(dy, w)   the ROT180 rule: dy dilated by s, padded by d(k-1) - p,
//                                   correlated with the kernel rotated by 180 degrees and
//                                   C_in/C_out swapped per group;
//   dw = conv2d_weight_grad(x, dy)  valid correlation of the padded x with the dilated dy,
//                                   summed over the batch;
//   db = sum of dy over n, i, j     one bias per filter, shared by every position.
// Reference: the same function from pad, strided slice, stack, reshape, matmul and cat.
#include "ops/builtin_ops.hpp"
#include "ops/compose.hpp"
#include "ops/conv/conv_common.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/reduction.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

namespace {

Tensor conv2d_forward(ForwardContext& ctx, const Conv2dOptions& options) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  const Tensor& b = ctx.input(2);
  const kernels::ConvLoopGeometry g = detail::conv2d_geometry(ctx.op_name(), x, w, b, options);
  if (ctx.needs_input_grad(1)) ctx.save("x", x);  // dw needs x
  if (ctx.needs_input_grad(0)) ctx.save("w", w);  // dx needs w
  return visit_floating(x.dtype(), ctx.op_name(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor xc = raw::contiguous(x);
    const Tensor wc = raw::contiguous(w);
    const Tensor bc = b.defined() ? raw::contiguous(b) : Tensor();
    Tensor y = empty({g.batch, g.out_channels, g.out_h, g.out_w}, {.dtype = x.dtype()});
    kernels::conv2d_fast<T>(xc.data<T>(), wc.data<T>(), bc.defined() ? bc.data<T>() : nullptr, y.data<T>(), g);
    return y;
  });
}

std::vector<Tensor> conv2d_backward(const BackwardContext& ctx, const Tensor& dy, const Conv2dOptions& options) {
  const Tensor x = ctx.needs_input_grad(1) ? ctx.saved("x") : Tensor();
  const Tensor w = ctx.needs_input_grad(0) ? ctx.saved("w") : Tensor();
  const Shape& xs = ctx.input_shape(0);
  const Shape& ws = ctx.input_shape(1);
  return {
      ctx.needs_input_grad(0) ? conv2d_input_grad(dy, w, {xs[2], xs[3]}, options) : Tensor(),
      ctx.needs_input_grad(1) ? conv2d_weight_grad(x, dy, {ws[2], ws[3]}, options) : Tensor(),
      ctx.needs_input_grad(2) ? detail::conv_bias_grad(dy) : Tensor(),
  };
}

// conv2d from elementary ops: gather every kernel tap (u, v) as a strided slice of the padded
// input, stack the taps into columns, and multiply by the flattened kernel of each group.
Tensor conv2d_composition(std::span<const Tensor> in, const Conv2dOptions& o) {
  const Tensor& x = in[0];
  const Tensor& w = in[1];
  const Tensor& b = in[2];
  const kernels::ConvLoopGeometry g = detail::conv2d_geometry("conv2d reference", x, w, b, o);
  const compose::Windows win =
      compose::windows({g.in_h, g.in_w}, {g.kernel_h, g.kernel_w}, {g.stride_h, g.stride_w}, {g.pad_top, g.pad_left},
                       {g.dilation_h, g.dilation_w}, {g.out_h, g.out_w});
  const Tensor cols = stack(compose::taps(compose::pad_for(x, win), win), 2);  // [N, C_in, kH*kW, Ho, Wo]
  const std::int64_t cin_g = g.in_channels / g.groups;
  const std::int64_t cout_g = g.out_channels / g.groups;
  const std::int64_t kk = g.kernel_h * g.kernel_w;
  std::vector<Tensor> per_group;
  for (std::int64_t grp = 0; grp < g.groups; ++grp) {
    const Tensor cols_g =
        reshape(slice(cols, 1, grp * cin_g, (grp + 1) * cin_g), {g.batch, cin_g * kk, g.out_h * g.out_w});
    const Tensor w_g = reshape(slice(w, 0, grp * cout_g, (grp + 1) * cout_g), {cout_g, cin_g * kk});
    per_group.push_back(matmul(w_g, cols_g));  // [N, C_out/groups, Ho*Wo]
  }
  Tensor y = reshape(cat(per_group, 1), {g.batch, g.out_channels, g.out_h, g.out_w});
  if (b.defined()) y = y + reshape(b, {1, g.out_channels, 1, 1});
  return y;
}

std::vector<OpSample<Conv2dOptions>> conv2d_samples() {
  Generator gen(samples::kSeed + 300);
  // Every sample has a bias: gradcheck needs defined inputs (tests/test_conv_gradients.cpp covers no bias).
  auto sample = [&](std::string label, Shape xs, Shape ws, Conv2dOptions o) {
    return OpSample<Conv2dOptions>{
        std::move(label), {samples::arg(xs, gen), samples::arg(ws, gen), samples::arg({ws[0]}, gen)}, o};
  };
  return {
      sample("3x2 kernel, batch 2", {2, 3, 6, 5}, {4, 3, 3, 2}, {}),
      sample("stride 2, padding 1, last row not reached", {1, 2, 8, 7}, {3, 2, 3, 3}, {.stride = 2, .padding = 1}),
      sample("dilation 2, stride (1, 2), padding (2, 1), groups 2", {2, 4, 7, 6}, {4, 2, 2, 3},
             {.stride = {1, 2}, .padding = {2, 1}, .dilation = 2, .groups = 2}),
      sample("depthwise 3 -> 6, padding 1", {1, 3, 5, 5}, {6, 1, 3, 3}, {.padding = 1, .groups = 3}),
      sample("1x1 kernel, stride 3", {2, 2, 7, 5}, {3, 2, 1, 1}, {.stride = 3}),
      // Zero-size: an empty batch, no input channels (the output is the bias), no output channels.
      sample("batch 0, 3x3, padding 1", {0, 2, 5, 5}, {3, 2, 3, 3}, {.padding = 1}),
      sample("batch 0, 1x1 kernel, stride 2", {0, 2, 5, 5}, {3, 2, 1, 1}, {.stride = 2}),
      sample("batch 0, 16 -> 16 channels 3x3 (Winograd-shaped)", {0, 16, 8, 8}, {16, 16, 3, 3}, {.padding = 1}),
      sample("no input channels: the bias", {2, 0, 5, 5}, {3, 0, 3, 3}, {.padding = 1}),
      sample("no output channels", {2, 3, 5, 5}, {0, 3, 3, 3}, {}),
  };
}

}  // namespace

OpDef<Conv2dOptions> make_conv2d_op() {
  return {
      .name = "conv2d",
      .arity = 3,
      .forward = conv2d_forward,
      .backward = conv2d_backward,
      .reference = conv2d_composition,
      .samples = conv2d_samples,
      .summary = "2-D cross-correlation, NCHW (stride, padding, dilation, groups)",
  };
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dOptions options) {
  return call(builtin_ops().conv2d, {x, weight, bias}, options);
}

}  // namespace tg
