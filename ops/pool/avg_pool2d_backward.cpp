// avg_pool2d_backward: avg_pool2d's input gradient, dx[r, q] = sum over the windows w that
// contain (r, q) of g[w] / divisor(w). It is the adjoint (transpose) of avg_pool2d, so its
// own gradient is avg_pool2d(G) with the same options.
// Reference: g / divisor (compose::window_counts) placed at every tap's strided positions
// of a zero padded input (dilate, pad) and summed, the padding then cropped.
#include "ops/builtin_ops.hpp"
#include "ops/compose.hpp"
#include "ops/conv/conv_common.hpp"
#include "ops/elementwise.hpp"
#include "ops/pool/pool_common.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

namespace {

Tensor avg_pool_backward_composition(std::span<const Tensor> in, const detail::PoolGradAttrs& a) {
  const Tensor& grad = in[0];
  const Shape xs{grad.size(0), grad.size(1), a.input_size.h, a.input_size.w};
  const kernels::PoolGeometry g =
      detail::pool2d_geometry_from_shape("avg_pool2d_backward reference", xs, a.options, false);
  const compose::Windows win = compose::pool_windows({g.in_h, g.in_w}, a.options, {g.out_h, g.out_w});
  const Tensor share = grad / compose::window_counts(a.input_size, win, g.count_include_pad, grad.dtype());
  const Pair2 padded{g.in_h + win.pad_begin.h + win.pad_end.h, g.in_w + win.pad_begin.w + win.pad_end.w};
  return compose::crop_for(compose::taps_adjoint(share, win, padded), win);
}

}  // namespace

OpDef<detail::PoolGradAttrs> make_avg_pool2d_backward_op() {
  return {
      .name = "avg_pool2d_backward",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const detail::PoolGradAttrs& a) {
            const Tensor& g = ctx.input(0);
            detail::check_conv_tensor(ctx.op_name(), "output gradient", g);
            const Shape xs{g.size(0), g.size(1), a.input_size.h, a.input_size.w};
            const kernels::PoolGeometry geo = detail::pool2d_geometry_from_shape(ctx.op_name(), xs, a.options, false);
            const Shape expected{g.size(0), g.size(1), geo.out_h, geo.out_w};
            TG_CHECK(g.shape() == expected, ShapeError,
                     "{}: gradient {} does not match the pooled shape {} of input {}", ctx.op_name(), g.shape(),
                     expected, xs);
            return visit_floating(g.dtype(), ctx.op_name(), [&](auto tag) {
              using T = decltype(tag);
              const Tensor gc = raw::contiguous(g);
              Tensor dx = empty(xs, {.dtype = g.dtype()});
              kernels::avg_pool2d_backward_loops<T>(gc.data<T>(), dx.data<T>(), geo);
              return dx;
            });
          },
      .backward = [](const BackwardContext&, const Tensor& grad, const detail::PoolGradAttrs& attrs)
          -> std::vector<Tensor> { return {avg_pool2d(grad, attrs.options)}; },
      .reference = avg_pool_backward_composition,
      .samples =
          [] {
            Generator gen(samples::kSeed + 351);
            const Pool2dOptions o{
                .kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true, .count_include_pad = false};
            return std::vector<OpSample<detail::PoolGradAttrs>>{
                {"3x3, stride 2, padding 1, ceil_mode, exclude pad",
                 {samples::arg({2, 2, 4, 4}, gen)},
                 detail::PoolGradAttrs{o, {7, 7}}},
                {"batch 0, same options", {samples::arg({0, 2, 4, 4}, gen)}, detail::PoolGradAttrs{o, {7, 7}}}};
          },
      .summary = "avg_pool2d's gradient (its transpose)",
  };
}

namespace detail {
Tensor avg_pool2d_backward(const Tensor& grad, Pair2 input_size, const Pool2dOptions& options) {
  return call(builtin_ops().avg_pool2d_backward, {grad}, PoolGradAttrs{options, input_size});
}
}  // namespace detail

}  // namespace tg
