// max_pool2d: y[n,c,i,j] = max over the window (kernel, stride, padding = -inf, dilation).
// The gradient goes to the arg-max only (the first maximum in row-major window order on
// ties): dx = max_pool2d_scatter(dy, argmax), a linear map in dy whose own gradient is
// max_pool2d_select (gathering at the same indices), so double backward works.
// Reference: max over the stacked window taps (strided slices of x padded with -inf),
// whose gradient also goes to the first maximum in tap order.
#include <limits>

#include "ops/builtin_ops.hpp"
#include "ops/compose.hpp"
#include "ops/conv/conv_common.hpp"
#include "ops/pool/pool_common.hpp"
#include "ops/reduction.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

namespace detail {
MaxPoolResult max_pool2d_with_indices(std::string_view op, const Tensor& x, const Pool2dOptions& options) {
  const kernels::PoolGeometry g = pool2d_geometry(op, x, options, /*allow_dilation=*/true);
  return visit_floating(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const Tensor xc = raw::contiguous(x);
    const Shape out{x.size(0), x.size(1), g.out_h, g.out_w};
    MaxPoolResult r{empty(out, {.dtype = x.dtype()}), empty(out, {.dtype = DType::Int64})};
    kernels::max_pool2d_loops<T>(xc.data<T>(), r.values.data<T>(), r.indices.data<std::int64_t>(), g);
    return r;
  });
}
}  // namespace detail

namespace {

Tensor max_pool_composition(std::span<const Tensor> in, const Pool2dOptions& o) {
  const kernels::PoolGeometry g = detail::pool2d_geometry("max_pool2d reference", in[0], o, /*allow_dilation=*/true);
  const compose::Windows win = compose::pool_windows({g.in_h, g.in_w}, o, {g.out_h, g.out_w});
  const Tensor padded = compose::pad_for(in[0], win, -std::numeric_limits<double>::infinity());
  return max(stack(compose::taps(padded, win), 4), {4});
}

std::vector<OpSample<Pool2dOptions>> max_pool_samples() {
  Generator gen(samples::kSeed + 340);
  auto sample = [&](std::string label, Shape xs, Pool2dOptions o) {
    return OpSample<Pool2dOptions>{std::move(label), {samples::distinct_arg(xs, gen)}, o};
  };
  return {
      sample("2x2", {2, 3, 6, 4}, {}),
      sample("3x3, stride 2, padding 1 (last row not reached)", {1, 2, 8, 7},
             {.kernel_size = 3, .stride = 2, .padding = 1}),
      sample("3x2, stride (1, 2), dilation 2", {2, 1, 7, 8}, {.kernel_size = {3, 2}, .stride = {1, 2}, .dilation = 2}),
      sample("3x3, stride 2, ceil_mode", {1, 2, 6, 6}, {.kernel_size = 3, .stride = 2, .ceil_mode = true}),
      sample("batch 0, 2x2", {0, 2, 5, 5}, {}),
  };
}

}  // namespace

OpDef<Pool2dOptions> make_max_pool2d_op() {
  return {
      .name = "max_pool2d",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const Pool2dOptions& attrs) {
            detail::MaxPoolResult r = detail::max_pool2d_with_indices(ctx.op_name(), ctx.input(0), attrs);
            ctx.save("indices", r.indices);
            return r.values;
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const Pool2dOptions&) -> std::vector<Tensor> {
        const Shape& xs = ctx.input_shape(0);
        return {detail::max_pool2d_scatter(g, ctx.saved("indices"), {xs[2], xs[3]})};
      },
      .reference = max_pool_composition,
      .samples = max_pool_samples,
      .summary = "2-D max pooling (gradient to the first arg-max; padding is -inf)",
  };
}

Tensor max_pool2d(const Tensor& x, Pool2dOptions options) { return call(builtin_ops().max_pool2d, {x}, options); }

}  // namespace tg
