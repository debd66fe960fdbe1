// avg_pool2d: y[n,c,i,j] = (sum of the window) / divisor, where the divisor is the window
// clipped to the padded input (count_include_pad) or the number of input elements in it.
// Linear in x: dx = avg_pool2d_backward(dy), each input element receiving dy / divisor from
// every window that contains it; the gradient of that map is avg_pool2d again.
// Reference: the sum of the window taps (strided slices of the zero-padded x) divided by
// the same taps summed over a mask of what counts (compose::window_counts).
#include "ops/builtin_ops.hpp"
#include "ops/compose.hpp"
#include "ops/conv/conv_common.hpp"
#include "ops/elementwise.hpp"
#include "ops/pool/pool_common.hpp"
#include "ops/reduction.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

namespace {

Tensor avg_pool_composition(std::span<const Tensor> in, const Pool2dOptions& o) {
  const Tensor& x = in[0];
  const kernels::PoolGeometry g = detail::pool2d_geometry("avg_pool2d reference", x, o, /*allow_dilation=*/false);
  const compose::Windows win = compose::pool_windows({g.in_h, g.in_w}, o, {g.out_h, g.out_w});
  const Tensor window_sums = sum(stack(compose::taps(compose::pad_for(x, win), win), 4), {4});
  return window_sums / compose::window_counts({g.in_h, g.in_w}, win, g.count_include_pad, x.dtype());
}

std::vector<OpSample<Pool2dOptions>> avg_pool_samples() {
  Generator gen(samples::kSeed + 350);
  auto sample = [&](std::string label, Shape xs, Pool2dOptions o) {
    return OpSample<Pool2dOptions>{std::move(label), {samples::arg(xs, gen)}, o};
  };
  return {
      sample("2x2", {2, 3, 6, 4}, {}),
      sample("3x3, stride 2, padding 1, count_include_pad", {1, 2, 8, 7},
             {.kernel_size = 3, .stride = 2, .padding = 1}),
      sample("3x3, stride 2, padding 1, exclude pad", {1, 2, 8, 7},
             {.kernel_size = 3, .stride = 2, .padding = 1, .count_include_pad = false}),
      sample(
          "3x2, stride (2, 1), ceil_mode, exclude pad", {2, 1, 6, 5},
          {.kernel_size = {3, 2}, .stride = {2, 1}, .padding = {1, 0}, .ceil_mode = true, .count_include_pad = false}),
      sample("batch 0, 3x3, stride 2, padding 1", {0, 2, 5, 5}, {.kernel_size = 3, .stride = 2, .padding = 1}),
  };
}

}  // namespace

OpDef<Pool2dOptions> make_avg_pool2d_op() {
  return {
      .name = "avg_pool2d",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const Pool2dOptions& attrs) {
            const Tensor& x = ctx.input(0);
            const kernels::PoolGeometry g = detail::pool2d_geometry(ctx.op_name(), x, attrs, false);
            return visit_floating(x.dtype(), ctx.op_name(), [&](auto tag) {
              using T = decltype(tag);
              const Tensor xc = raw::contiguous(x);
              Tensor y = empty({x.size(0), x.size(1), g.out_h, g.out_w}, {.dtype = x.dtype()});
              kernels::avg_pool2d_loops<T>(xc.data<T>(), y.data<T>(), g);
              return y;
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const Pool2dOptions& attrs) -> std::vector<Tensor> {
        const Shape& xs = ctx.input_shape(0);
        return {detail::avg_pool2d_backward(g, {xs[2], xs[3]}, attrs)};
      },
      .reference = avg_pool_composition,
      .samples = avg_pool_samples,
      .summary = "2-D average pooling (count_include_pad, ceil_mode)",
  };
}

Tensor avg_pool2d(const Tensor& x, Pool2dOptions options) { return call(builtin_ops().avg_pool2d, {x}, options); }

}  // namespace tg
