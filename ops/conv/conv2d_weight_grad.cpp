// conv2d_weight_grad: the weight gradient of conv2d, as an op of its own.
//   dw[k,c,u,v] = sum_{n,i,j} dy[n,k,i,j] * x[n, g*Cg + c, i*s + u*d - p, j*s + v*d - p]
// i.e. the valid correlation of the padded input with dy dilated by the stride, summed
// over the batch. Bilinear in (x, dy); for an incoming gradient G of dw:
//   d x  = conv2d_input_grad(dy, G)  (<weight_grad(x, dy), G> = <conv2d(x, G), dy> = <x, input_grad(dy, G)>)
//   d dy = conv2d(x, G)
// Reference: the windows of the padded x as strided slices (one per tap), and per group a
// matmul of dy with those columns, summed over the batch.
#include "ops/builtin_ops.hpp"
#include "ops/compose.hpp"
#include "ops/conv/conv_common.hpp"
#include "ops/linalg.hpp"
#include "ops/reduction.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

namespace {

Tensor weight_grad_forward(ForwardContext& ctx, const detail::ConvGradAttrs& a) {
  const Tensor& x = ctx.input(0);
  const Tensor& dy = ctx.input(1);
  detail::check_conv_tensor(ctx.op_name(), "input", x);
  detail::check_conv_tensor(ctx.op_name(), "output gradient", dy);
  detail::check_same_dtype(ctx.op_name(), x, dy);
  TG_CHECK(a.size.h >= 1 && a.size.w >= 1, ValueError, "{}: kernel size must be positive, got ({}, {})", ctx.op_name(),
           a.size.h, a.size.w);
  TG_CHECK(a.options.groups >= 1 && x.size(1) % a.options.groups == 0, ShapeError,
           "{}: input channels of {} are not divisible by groups {}", ctx.op_name(), x.shape(), a.options.groups);
  const Shape w_shape{dy.size(1), x.size(1) / a.options.groups, a.size.h, a.size.w};
  const kernels::ConvLoopGeometry g =
      detail::conv2d_geometry_from_shapes(ctx.op_name(), x.shape(), w_shape, dy.shape(), a.options);
  if (ctx.needs_input_grad(1)) ctx.save("x", x);
  if (ctx.needs_input_grad(0)) ctx.save("dy", dy);
  return visit_floating(x.dtype(), ctx.op_name(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor xc = raw::contiguous(x);
    const Tensor dyc = raw::contiguous(dy);
    Tensor dw = empty(w_shape, {.dtype = x.dtype()});
    kernels::conv2d_weight_grad_fast<T>(xc.data<T>(), dyc.data<T>(), dw.data<T>(), g);
    return dw;
  });
}

std::vector<Tensor> weight_grad_backward(const BackwardContext& ctx, const Tensor& grad,
                                         const detail::ConvGradAttrs& a) {
  const Tensor x = ctx.needs_input_grad(1) ? ctx.saved("x") : Tensor();
  const Tensor dy = ctx.needs_input_grad(0) ? ctx.saved("dy") : Tensor();
  const Shape& xs = ctx.input_shape(0);
  return {
      ctx.needs_input_grad(0) ? conv2d_input_grad(dy, grad, {xs[2], xs[3]}, a.options) : Tensor(),
      ctx.needs_input_grad(1) ? conv2d(x, grad, Tensor(), a.options) : Tensor(),
  };
}

Tensor weight_grad_composition(std::span<const Tensor> in, const detail::ConvGradAttrs& a) {
  const Tensor& x = in[0];
  const Tensor& dy = in[1];
  const std::int64_t batch = x.size(0);
  const std::int64_t cin_g = x.size(1) / a.options.groups;
  const std::int64_t cout_g = dy.size(1) / a.options.groups;
  const Pair2 out{dy.size(2), dy.size(3)};
  const compose::Windows win =
      compose::windows({x.size(2), x.size(3)}, a.size, a.options.stride, a.options.padding, a.options.dilation, out);
  const Tensor cols = stack(compose::taps(compose::pad_for(x, win), win), 2);  // [N, C_in, kH*kW, Ho, Wo]
  const std::int64_t kk = a.size.h * a.size.w;
  std::vector<Tensor> per_group;
  for (std::int64_t grp = 0; grp < a.options.groups; ++grp) {
    const Tensor cols_g = reshape(slice(cols, 1, grp * cin_g, (grp + 1) * cin_g), {batch, cin_g * kk, out.h * out.w});
    const Tensor dy_g = reshape(slice(dy, 1, grp * cout_g, (grp + 1) * cout_g), {batch, cout_g, out.h * out.w});
    // dw_g[k, (c, u, v)] = sum over n and (i, j) of dy_g[n, k, (i, j)] * cols_g[n, (c, u, v), (i, j)]
    per_group.push_back(reshape(sum(matmul(dy_g, transpose(cols_g, 1, 2)), {0}), {cout_g, cin_g, a.size.h, a.size.w}));
  }
  return cat(per_group, 0);
}

std::vector<OpSample<detail::ConvGradAttrs>> weight_grad_samples() {
  Generator gen(samples::kSeed + 320);
  auto sample = [&](std::string label, Shape xs, Shape dys, Pair2 size, Conv2dOptions o) {
    return OpSample<detail::ConvGradAttrs>{
        std::move(label), {samples::arg(xs, gen), samples::arg(dys, gen)}, detail::ConvGradAttrs{o, size}};
  };
  return {
      sample("3x2 kernel, batch 2", {2, 3, 6, 5}, {2, 4, 4, 4}, {3, 2}, {}),
      sample("stride 2, padding 1", {1, 2, 8, 7}, {1, 3, 4, 4}, {3, 3}, {.stride = 2, .padding = 1}),
      sample("dilation 2, stride (1, 2), padding (2, 1), groups 2", {2, 4, 7, 6}, {2, 4, 9, 2}, {2, 3},
             {.stride = {1, 2}, .padding = {2, 1}, .dilation = 2, .groups = 2}),
      // An empty batch adds nothing: zeros of the weight's shape.
      {.label = "batch 0, 3x3: zeros",
       .inputs = {samples::arg({0, 2, 6, 6}, gen), samples::arg({0, 3, 4, 4}, gen)},
       .attrs = detail::ConvGradAttrs{{}, {3, 3}},
       .expected = zeros({3, 2, 3, 3}, {.dtype = DType::Float64})},
      {.label = "batch 0, 1x1, stride 2: zeros",
       .inputs = {samples::arg({0, 2, 5, 5}, gen), samples::arg({0, 3, 3, 3}, gen)},
       .attrs = detail::ConvGradAttrs{{.stride = 2}, {1, 1}},
       .expected = zeros({3, 2, 1, 1}, {.dtype = DType::Float64})},
      sample("no input channels", {2, 0, 6, 6}, {2, 3, 4, 4}, {3, 3}, {}),
  };
}

}  // namespace

OpDef<detail::ConvGradAttrs> make_conv2d_weight_grad_op() {
  return {
      .name = "conv2d_weight_grad",
      .arity = 2,
      .forward = weight_grad_forward,
      .backward = weight_grad_backward,
      .reference = weight_grad_composition,
      .samples = weight_grad_samples,
      .summary = "conv2d's weight gradient: padded x (*) dilated dy, summed over the batch",
  };
}

Tensor conv2d_weight_grad(const Tensor& x, const Tensor& grad_output, Pair2 kernel_size, Conv2dOptions options) {
  return call(builtin_ops().conv2d_weight_grad, {x, grad_output}, detail::ConvGradAttrs{options, kernel_size});
}

}  // namespace tg
