// max_pool2d_scatter: max_pool2d's input gradient. For g [N, C, Ho, Wo] and arg-max indices
// (flat within each H x W plane), dx[n, c, idx] += g[n, c, i, j] (-1 indices are skipped).
// Linear in g; its gradient is the gather at the same indices: dg = max_pool2d_select(G, idx).
#include "ops/builtin_ops.hpp"
#include "ops/conv/conv_common.hpp"
#include "ops/pool/pool_common.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

namespace {

// Checks the indices against the gradient's shape and the H x W plane they index into.
void check_indices(std::string_view op, const Tensor& values, const Tensor& indices, Pair2 size) {
  detail::check_conv_tensor(op, "values", values);
  TG_CHECK(indices.dtype() == DType::Int64, DTypeError, "{}: indices must be int64, got {}", op, indices.dtype());
  TG_CHECK(indices.shape() == values.shape(), ShapeError, "{}: indices {} and values {} differ in shape", op,
           indices.shape(), values.shape());
  TG_CHECK(size.h >= 1 && size.w >= 1, ValueError, "{}: input size must be positive, got ({}, {})", op, size.h, size.w);
  const Tensor ic = raw::contiguous(indices);
  const std::int64_t* k = ic.data<std::int64_t>();
  const std::int64_t bad = kernels::find_bad_plane_index(k, ic.numel(), size.h * size.w);
  TG_CHECK(bad < 0, IndexError, "{}: index {} out of range for a {}x{} plane", op, bad < 0 ? 0 : k[bad], size.h,
           size.w);
}

}  // namespace

OpDef<Pair2> make_max_pool2d_scatter_op() {
  return {
      .name = "max_pool2d_scatter",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const Pair2& size) {
            const Tensor& g = ctx.input(0);
            const Tensor& idx = ctx.input(1);
            check_indices(ctx.op_name(), g, idx, size);
            ctx.save("indices", idx);
            kernels::PoolGeometry geo;
            geo.planes = g.size(0) * g.size(1);
            geo.in_h = size.h;
            geo.in_w = size.w;
            geo.out_h = g.size(2);
            geo.out_w = g.size(3);
            return visit_floating(g.dtype(), ctx.op_name(), [&](auto tag) {
              using T = decltype(tag);
              const Tensor gc = raw::contiguous(g);
              const Tensor ic = raw::contiguous(idx);
              Tensor dx = empty({g.size(0), g.size(1), size.h, size.w}, {.dtype = g.dtype()});
              kernels::max_pool2d_scatter_loops<T>(gc.data<T>(), ic.data<std::int64_t>(), dx.data<T>(), geo);
              return dx;
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& grad, const Pair2&) -> std::vector<Tensor> {
        return {detail::max_pool2d_select(grad, ctx.saved("indices")), Tensor()};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 341);
            const Tensor x = samples::distinct_arg({2, 2, 5, 6}, gen).detach();
            const Tensor idx =
                detail::max_pool2d_with_indices("max_pool2d", x, {.kernel_size = 3, .stride = 2, .padding = 1}).indices;
            const Tensor no_idx = zeros({0, 2, 3, 3}, {.dtype = DType::Int64});
            return std::vector<OpSample<Pair2>>{
                {"3x3, stride 2, padding 1", {samples::arg(idx.shape(), gen), idx}, Pair2{5, 6}},
                {"batch 0", {samples::arg({0, 2, 3, 3}, gen), no_idx}, Pair2{5, 6}}};
          },
      .elementary = true,
      .summary = "max_pool2d's gradient: scatter-add to the arg-max indices",
  };
}

namespace detail {
Tensor max_pool2d_scatter(const Tensor& grad, const Tensor& indices, Pair2 input_size) {
  return call(builtin_ops().max_pool2d_scatter, {grad, indices}, input_size);
}
}  // namespace detail

}  // namespace tg
