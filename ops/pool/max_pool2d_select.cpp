// max_pool2d_select: y[n, c, o] = x[n, c, idx[n, c, o]] (0 where idx is -1): a gather at
// max_pool2d's arg-max indices. Linear in x; its gradient is the scatter to the same
// indices: dx = max_pool2d_scatter(G, idx). (max_pool2d_scatter's gradient is this op.)
#include "ops/builtin_ops.hpp"
#include "ops/conv/conv_common.hpp"
#include "ops/pool/pool_common.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

OpDef<NoAttrs> make_max_pool2d_select_op() {
  return {
      .name = "max_pool2d_select",
      .arity = 2,
      .forward =
          [](ForwardContext& ctx, const NoAttrs&) {
            const Tensor& x = ctx.input(0);
            const Tensor& idx = ctx.input(1);
            detail::check_conv_tensor(ctx.op_name(), "input", x);
            TG_CHECK(
                idx.dim() == 4 && idx.dtype() == DType::Int64 && idx.size(0) == x.size(0) && idx.size(1) == x.size(1),
                ShapeError, "{}: indices {} ({}) must be int64 [N, C, Ho, Wo] for the input {}", ctx.op_name(),
                idx.shape(), idx.dtype(), x.shape());
            ctx.save("indices", idx);
            const std::int64_t plane_in = x.size(2) * x.size(3);
            const std::int64_t plane_out = idx.size(2) * idx.size(3);
            return visit_floating(x.dtype(), ctx.op_name(), [&](auto tag) {
              using T = decltype(tag);
              const Tensor xc = raw::contiguous(x);
              const Tensor ic = raw::contiguous(idx);
              const std::int64_t* index = ic.data<std::int64_t>();
              const std::int64_t bad = kernels::find_bad_plane_index(index, ic.numel(), plane_in);
              TG_CHECK(bad < 0, IndexError, "{}: index {} out of range for a {}x{} plane", ctx.op_name(),
                       bad < 0 ? 0 : index[bad], x.size(2), x.size(3));
              Tensor y = empty(idx.shape(), {.dtype = x.dtype()});
              kernels::max_pool2d_select_loops<T>(xc.data<T>(), index, y.data<T>(), x.size(0) * x.size(1), plane_in,
                                                  plane_out);
              return y;
            });
          },
      .backward = [](const BackwardContext& ctx, const Tensor& grad, const NoAttrs&) -> std::vector<Tensor> {
        const Shape& xs = ctx.input_shape(0);
        return {detail::max_pool2d_scatter(grad, ctx.saved("indices"), {xs[2], xs[3]}), Tensor()};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 342);
            const Tensor x = samples::distinct_arg({2, 2, 5, 6}, gen).detach();
            const Tensor idx =
                detail::max_pool2d_with_indices("max_pool2d", x, {.kernel_size = 2, .stride = 1}).indices;
            const Tensor no_idx = zeros({0, 2, 4, 5}, {.dtype = DType::Int64});
            return std::vector<OpSample<NoAttrs>>{{"2x2, stride 1", {samples::arg({2, 2, 5, 6}, gen), idx}, {}},
                                                  {"batch 0", {samples::arg({0, 2, 5, 6}, gen), no_idx}, {}}};
          },
      .elementary = true,
      .summary = "gather at max_pool2d's arg-max indices (the scatter's adjoint)",
  };
}

namespace detail {
Tensor max_pool2d_select(const Tensor& x, const Tensor& indices) {
  return call(builtin_ops().max_pool2d_select, {x, indices});
}
}  // namespace detail

}  // namespace tg
