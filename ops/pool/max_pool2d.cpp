// max_pool2d: y[n,c,i,j] = max over the window (kernel, stride, padding = -inf, dilation).
// The gradient goes to the arg-max only (the first maximum in row-major window order on
// ties): dx = max_pool2d_scatter(dy, argmax), a linear map in dy whose own gradient is
// max_pool2d_select (gathering at the same indices), so double backward works.
#include "ops/pool/pool_common.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

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

std::vector<OpSample> max_pool_samples() {
  Generator gen(samples::kSeed + 340);
  auto sample = [&](std::string label, Shape xs, Pool2dOptions o) {
    return OpSample{std::move(label), {samples::distinct_arg(xs, gen)}, o};
  };
  return {
      sample("2x2", {2, 3, 6, 4}, {}),
      sample("3x3, stride 2, padding 1 (last row not reached)", {1, 2, 8, 7}, {.kernel_size = 3, .stride = 2, .padding = 1}),
      sample("3x2, stride (1, 2), dilation 2", {2, 1, 7, 8}, {.kernel_size = {3, 2}, .stride = {1, 2}, .dilation = 2}),
      sample("3x3, stride 2, ceil_mode", {1, 2, 6, 6}, {.kernel_size = 3, .stride = 2, .ceil_mode = true}),
      sample("batch 0, 2x2", {0, 2, 5, 5}, {}),
  };
}

}  // namespace

OpDef make_max_pool2d_op() {
  return {
      .name = "max_pool2d",
      .arity = 1,
      .forward = [](ForwardContext& ctx) {
        detail::MaxPoolResult r =
            detail::max_pool2d_with_indices(ctx.op_name(), ctx.input(0), ctx.attrs<Pool2dOptions>());
        ctx.save(r.indices);
        return r.values;
      },
      .backward = [](const BackwardContext& ctx, const Tensor& g) -> std::vector<Tensor> {
        const Shape& xs = ctx.input_shape(0);
        return {detail::max_pool2d_scatter(g, ctx.saved(0), {xs[2], xs[3]})};
      },
      .samples = max_pool_samples,
      .summary = "2-D max pooling (gradient to the first arg-max; padding is -inf)",
  };
}

Tensor max_pool2d(const Tensor& x, Pool2dOptions options) {
  static const OpDef& op = registry().get("max_pool2d");
  return call(op, {x}, options);
}

}  // namespace tg
