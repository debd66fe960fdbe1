// adaptive_avg_pool2d_backward: adaptive_avg_pool2d's input gradient, spreading each
// g[i, j] / (window size) over its window. It is the transpose of adaptive_avg_pool2d, so
// its own gradient is adaptive_avg_pool2d(G) to g's size.
// Reference: A_h^T g A_w by matmul, A the (constant) matrices averaging each axis's windows.
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

Tensor adaptive_avg_pool_backward_composition(std::span<const Tensor> in, const Pair2& input_size) {
  const Tensor& g = in[0];
  const Tensor rows = compose::adaptive_average_matrix(input_size.h, g.size(2), g.dtype());  // [Ho, H]
  const Tensor cols = compose::adaptive_average_matrix(input_size.w, g.size(3), g.dtype());  // [Wo, W]
  return matmul(matmul(transpose(rows, 0, 1), g), cols);
}

}  // namespace

OpDef<Pair2> make_adaptive_avg_pool2d_backward_op() {
  return {
      .name = "adaptive_avg_pool2d_backward",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const Pair2& size) {
            const Tensor& g = ctx.input(0);
            detail::check_conv_tensor(ctx.op_name(), "output gradient", g);
            const Shape xs{g.size(0), g.size(1), size.h, size.w};
            const kernels::PoolGeometry geo =
                detail::adaptive_pool2d_geometry(ctx.op_name(), xs, {g.size(2), g.size(3)});
            return visit_floating(g.dtype(), ctx.op_name(), [&](auto tag) {
              using T = decltype(tag);
              const Tensor gc = raw::contiguous(g);
              Tensor dx = empty(xs, {.dtype = g.dtype()});
              kernels::adaptive_avg_pool2d_backward_loops<T>(gc.data<T>(), dx.data<T>(), geo);
              return dx;
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& grad, const Pair2&) -> std::vector<Tensor> {
        const Shape& gs = ctx.input_shape(0);
        return {adaptive_avg_pool2d(grad, {gs[2], gs[3]})};
      },
      .reference = adaptive_avg_pool_backward_composition,
      .samples =
          [] {
            Generator gen(samples::kSeed + 361);
            return std::vector<OpSample<Pair2>>{
                {"3x2 -> 7x5", {samples::arg({2, 3, 3, 2}, gen)}, Pair2{7, 5}},
                {"batch 0, 3x2 -> 7x5", {samples::arg({0, 3, 3, 2}, gen)}, Pair2{7, 5}}};
          },
      .summary = "adaptive_avg_pool2d's gradient (its transpose)",
  };
}

namespace detail {
Tensor adaptive_avg_pool2d_backward(const Tensor& grad, Pair2 input_size) {
  return call(builtin_ops().adaptive_avg_pool2d_backward, {grad}, input_size);
}
}  // namespace detail

}  // namespace tg
