// squeeze: y = x without dim `dim` when that dim has size 1 (a view); as in PyTorch, a dim
// of any other size leaves x unchanged. dx = unsqueeze(g, dim), or g if nothing was removed.
#include "ops/builtin_ops.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

OpDef<std::int64_t> make_squeeze_op() {
  return {
      .name = "squeeze",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const std::int64_t& dim) {
            const Tensor& x = ctx.input(0);
            const std::int64_t d = wrap_dim(dim, x.dim(), ctx.op_name());
            if (x.dim() == 0 || x.size(d) != 1) return raw::alias(x);
            Shape shape = x.shape();
            Strides strides = x.strides();
            shape.erase(shape.begin() + d);
            strides.erase(strides.begin() + d);
            return raw::as_strided(x, shape, strides, x.offset());
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const std::int64_t& dim) -> std::vector<Tensor> {
        const Shape& in = ctx.input_shape(0);
        const std::int64_t d = wrap_dim(dim, static_cast<std::int64_t>(in.size()), ctx.op_name());
        if (in.empty() || in[static_cast<std::size_t>(d)] != 1) return {g};
        return {unsqueeze(g, d)};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 23);
            return std::vector<OpSample<std::int64_t>>{
                {"[2, 1, 3] at 1", {samples::arg({2, 1, 3}, gen)}, std::int64_t{1}},
                {"[3, 1] at -1", {samples::arg({3, 1}, gen)}, std::int64_t{-1}},
                {"[2, 3] at 0 (size 2: unchanged)", {samples::arg({2, 3}, gen)}, std::int64_t{0}},
                {"[1] at 0", {samples::arg({1}, gen)}, std::int64_t{0}},
                {"[0, 1] at 1 (empty)", {samples::arg({0, 1}, gen)}, std::int64_t{1}},
                {"[0, 2] at 0 (empty, size 0: unchanged)", {samples::arg({0, 2}, gen)}, std::int64_t{0}},
            };
          },
      .elementary = true,
      .summary = "remove a size-1 dim (view)",
  };
}

Tensor squeeze(const Tensor& x, std::int64_t dim) { return call(builtin_ops().squeeze, {x}, dim); }

}  // namespace tg
