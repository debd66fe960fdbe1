// flip: y = x reversed along each listed dim, y[..., i, ...] = x[..., n-1-i, ...] (a copy, as
// in PyTorch). dx = flip(g, dims). An empty dims list flips nothing.
#include "ops/builtin_ops.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

OpDef<std::vector<std::int64_t>> make_flip_op() {
  return {
      .name = "flip",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const std::vector<std::int64_t>& dims) {
            const Tensor& x = ctx.input(0);
            const auto wrapped = dims.empty() ? std::vector<std::int64_t>{} : wrap_dims(dims, x.dim(), ctx.op_name());
            Strides strides = x.strides();
            std::int64_t offset = x.offset();
            if (x.numel() > 0) {
              // A negative-stride view starting at the last element, then one contiguous copy.
              for (const std::int64_t d : wrapped) {
                const auto i = static_cast<std::size_t>(d);
                offset += (x.shape()[i] - 1) * strides[i];
                strides[i] = -strides[i];
              }
            }
            return raw::as_strided(x, x.shape(), strides, offset).clone_as(x.dtype());
          },
      .backward = [](const BackwardContext&, const Tensor& g,
                     const std::vector<std::int64_t>& dims) -> std::vector<Tensor> { return {flip(g, dims)}; },
      .samples =
          [] {
            Generator gen(samples::kSeed + 28);
            Tensor transposed = transpose(samples::arg({4, 3}, gen).detach(), 0, 1).set_requires_grad(true);
            return std::vector<OpSample<std::vector<std::int64_t>>>{
                {"[5] dim 0", {samples::arg({5}, gen)}, std::vector<std::int64_t>{0}},
                {"[2, 3, 4] dims (0, -1)", {samples::arg({2, 3, 4}, gen)}, std::vector<std::int64_t>{0, -1}},
                {"[3, 4] no dims", {samples::arg({3, 4}, gen)}, std::vector<std::int64_t>{}},
                {"non-contiguous [3, 4] dim 1", {transposed}, std::vector<std::int64_t>{1}},
                {"[0, 3] dims (0, 1) (empty)", {samples::arg({0, 3}, gen)}, std::vector<std::int64_t>{0, 1}},
            };
          },
      .elementary = true,
      .summary = "reverse along dims (copy)",
  };
}

Tensor flip(const Tensor& x, const std::vector<std::int64_t>& dims) { return call(builtin_ops().flip, {x}, dims); }

}  // namespace tg
