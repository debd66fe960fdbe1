// adaptive_avg_pool2d: output cell (i, j) of an Ho x Wo output averages input rows
// [floor(i*H/Ho), ceil((i+1)*H/Ho)) and the columns likewise. Linear in x:
// dx = adaptive_avg_pool2d_backward(dy) spreads dy / window size over each window; the
// gradient of that map is adaptive_avg_pool2d again.
#include "ops/pool/pool_common.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef make_adaptive_avg_pool2d_op() {
  return {
      .name = "adaptive_avg_pool2d",
      .arity = 1,
      .forward = [](ForwardContext& ctx) {
        const Tensor& x = ctx.input(0);
        detail::check_conv_tensor(ctx.op_name(), "input", x);
        const kernels::PoolGeometry g = detail::adaptive_pool2d_geometry(ctx.op_name(), x.shape(), ctx.attrs<Pair2>());
        return visit_floating(x.dtype(), ctx.op_name(), [&](auto tag) {
          using T = decltype(tag);
          const Tensor xc = raw::contiguous(x);
          Tensor y = empty({x.size(0), x.size(1), g.out_h, g.out_w}, {.dtype = x.dtype()});
          kernels::adaptive_avg_pool2d_loops<T>(xc.data<T>(), y.data<T>(), g);
          return y;
        });
      },
      .backward = [](const BackwardContext& ctx, const Tensor& g) -> std::vector<Tensor> {
        const Shape& xs = ctx.input_shape(0);
        return {detail::adaptive_avg_pool2d_backward(g, {xs[2], xs[3]})};
      },
      .samples = [] {
        Generator gen(samples::kSeed + 360);
        return std::vector<OpSample>{
            {"7x5 -> 3x2 (overlapping windows)", {samples::arg({2, 3, 7, 5}, gen)}, Pair2{3, 2}},
            {"4x6 -> 1x1 (global)", {samples::arg({1, 2, 4, 6}, gen)}, Pair2{1, 1}},
            {"3x3 -> 5x4 (upsampling)", {samples::arg({1, 1, 3, 3}, gen)}, Pair2{5, 4}},
            {"batch 0, 4x6 -> 2x3", {samples::arg({0, 2, 4, 6}, gen)}, Pair2{2, 3}},
        };
      },
      .summary = "2-D adaptive average pooling to a fixed output size",
  };
}

Tensor adaptive_avg_pool2d(const Tensor& x, Pair2 output_size) {
  static const OpDef& op = registry().get("adaptive_avg_pool2d");
  return call(op, {x}, output_size);
}

}  // namespace tg
