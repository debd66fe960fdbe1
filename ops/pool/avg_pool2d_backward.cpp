// avg_pool2d_backward: avg_pool2d's input gradient, dx[r, q] = sum over the windows w that
// contain (r, q) of g[w] / divisor(w). It is the adjoint (transpose) of avg_pool2d, so its
// own gradient is avg_pool2d(G) with the same options.
#include "ops/pool/pool_common.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef make_avg_pool2d_backward_op() {
  return {
      .name = "avg_pool2d_backward",
      .arity = 1,
      .forward = [](ForwardContext& ctx) {
        const Tensor& g = ctx.input(0);
        const auto& a = ctx.attrs<detail::PoolGradAttrs>();
        detail::check_conv_tensor(ctx.op_name(), "output gradient", g);
        const Shape xs{g.size(0), g.size(1), a.input_size.h, a.input_size.w};
        const kernels::PoolGeometry geo = detail::pool2d_geometry_from_shape(ctx.op_name(), xs, a.options, false);
        const Shape expected{g.size(0), g.size(1), geo.out_h, geo.out_w};
        TG_CHECK(g.shape() == expected, ShapeError, "{}: gradient {} does not match the pooled shape {} of input {}",
                 ctx.op_name(), g.shape(), expected, xs);
        return visit_floating(g.dtype(), ctx.op_name(), [&](auto tag) {
          using T = decltype(tag);
          const Tensor gc = raw::contiguous(g);
          Tensor dx = empty(xs, {.dtype = g.dtype()});
          kernels::avg_pool2d_backward_loops<T>(gc.data<T>(), dx.data<T>(), geo);
          return dx;
        });
      },
      .backward = [](const BackwardContext& ctx, const Tensor& grad) -> std::vector<Tensor> {
        return {avg_pool2d(grad, ctx.attrs<detail::PoolGradAttrs>().options)};
      },
      .samples = [] {
        Generator gen(samples::kSeed + 351);
        const Pool2dOptions o{.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true, .count_include_pad = false};
        return std::vector<OpSample>{{"3x3, stride 2, padding 1, ceil_mode, exclude pad", {samples::arg({2, 2, 4, 4}, gen)},
                                      detail::PoolGradAttrs{o, {7, 7}}},
                                     {"batch 0, same options", {samples::arg({0, 2, 4, 4}, gen)}, detail::PoolGradAttrs{o, {7, 7}}}};
      },
      .summary = "avg_pool2d's gradient (its transpose)",
  };
}

namespace detail {
Tensor avg_pool2d_backward(const Tensor& grad, Pair2 input_size, const Pool2dOptions& options) {
  static const OpDef& op = registry().get("avg_pool2d_backward");
  return call(op, {grad}, PoolGradAttrs{options, input_size});
}
}  // namespace detail

}  // namespace tg
