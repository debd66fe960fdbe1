// avg_pool2d: y[n,c,i,j] = (sum of the window) / divisor, where the divisor is the window
// clipped to the padded input (count_include_pad) or the number of input elements in it.
// Linear in x: dx = avg_pool2d_backward(dy), each input element receiving dy / divisor from
// every window that contains it; the gradient of that map is avg_pool2d again.
#include "ops/pool/pool_common.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

namespace {

std::vector<OpSample> avg_pool_samples() {
  Generator gen(samples::kSeed + 350);
  auto sample = [&](std::string label, Shape xs, Pool2dOptions o) { return OpSample{std::move(label), {samples::arg(xs, gen)}, o}; };
  return {
      sample("2x2", {2, 3, 6, 4}, {}),
      sample("3x3, stride 2, padding 1, count_include_pad", {1, 2, 8, 7}, {.kernel_size = 3, .stride = 2, .padding = 1}),
      sample("3x3, stride 2, padding 1, exclude pad", {1, 2, 8, 7},
             {.kernel_size = 3, .stride = 2, .padding = 1, .count_include_pad = false}),
      sample("3x2, stride (2, 1), ceil_mode, exclude pad", {2, 1, 6, 5},
             {.kernel_size = {3, 2}, .stride = {2, 1}, .padding = {1, 0}, .ceil_mode = true, .count_include_pad = false}),
      sample("batch 0, 3x3, stride 2, padding 1", {0, 2, 5, 5}, {.kernel_size = 3, .stride = 2, .padding = 1}),
  };
}

}  // namespace

OpDef make_avg_pool2d_op() {
  return {
      .name = "avg_pool2d",
      .arity = 1,
      .forward = [](ForwardContext& ctx) {
        const Tensor& x = ctx.input(0);
        const kernels::PoolGeometry g = detail::pool2d_geometry(ctx.op_name(), x, ctx.attrs<Pool2dOptions>(), false);
        return visit_floating(x.dtype(), ctx.op_name(), [&](auto tag) {
          using T = decltype(tag);
          const Tensor xc = raw::contiguous(x);
          Tensor y = empty({x.size(0), x.size(1), g.out_h, g.out_w}, {.dtype = x.dtype()});
          kernels::avg_pool2d_loops<T>(xc.data<T>(), y.data<T>(), g);
          return y;
        });
      },
      .backward = [](const BackwardContext& ctx, const Tensor& g) -> std::vector<Tensor> {
        const Shape& xs = ctx.input_shape(0);
        return {detail::avg_pool2d_backward(g, {xs[2], xs[3]}, ctx.attrs<Pool2dOptions>())};
      },
      .samples = avg_pool_samples,
      .summary = "2-D average pooling (count_include_pad, ceil_mode)",
  };
}

Tensor avg_pool2d(const Tensor& x, Pool2dOptions options) {
  static const OpDef& op = registry().get("avg_pool2d");
  return call(op, {x}, options);
}

}  // namespace tg
