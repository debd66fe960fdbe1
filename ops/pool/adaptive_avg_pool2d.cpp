// adaptive_avg_pool2d: output cell (i, j) of an Ho x Wo output averages input rows
// [floor(i*H/Ho), ceil((i+1)*H/Ho)) and the columns likewise. Linear in x:
// dx = adaptive_avg_pool2d_backward(dy) spreads dy / window size over each window; the
// gradient of that map is adaptive_avg_pool2d again.
// Reference: A_h x A_w^T by matmul, A the (constant) matrices averaging each axis's windows.
#include "ops/builtin_ops.hpp"
#include "ops/compose.hpp"
#include "ops/conv/conv_common.hpp"
#include "ops/linalg.hpp"
#include "ops/pool/pool_common.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

namespace {

Tensor adaptive_avg_pool_composition(std::span<const Tensor> in, const Pair2& out) {
  const Tensor& x = in[0];
  const Tensor rows = compose::adaptive_average_matrix(x.size(2), out.h, x.dtype());  // [Ho, H]
  const Tensor cols = compose::adaptive_average_matrix(x.size(3), out.w, x.dtype());  // [Wo, W]
  return matmul(matmul(rows, x), transpose(cols, 0, 1));
}

}  // namespace

OpDef<Pair2> make_adaptive_avg_pool2d_op() {
  return {
      .name = "adaptive_avg_pool2d",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const Pair2& output_size) {
            const Tensor& x = ctx.input(0);
            detail::check_conv_tensor(ctx.op_name(), "input", x);
            const kernels::PoolGeometry g = detail::adaptive_pool2d_geometry(ctx.op_name(), x.shape(), output_size);
            return visit_floating(x.dtype(), ctx.op_name(), [&](auto tag) {
              using T = decltype(tag);
              const Tensor xc = raw::contiguous(x);
              Tensor y = empty({x.size(0), x.size(1), g.out_h, g.out_w}, {.dtype = x.dtype()});
              kernels::adaptive_avg_pool2d_loops<T>(xc.data<T>(), y.data<T>(), g);
              return y;
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const Pair2&) -> std::vector<Tensor> {
        const Shape& xs = ctx.input_shape(0);
        return {detail::adaptive_avg_pool2d_backward(g, {xs[2], xs[3]})};
      },
      .reference = adaptive_avg_pool_composition,
      .samples =
          [] {
            Generator gen(samples::kSeed + 360);
            return std::vector<OpSample<Pair2>>{
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
  return call(builtin_ops().adaptive_avg_pool2d, {x}, output_size);
}

}  // namespace tg
