// permute: y = x with its dims reordered, y.shape[i] = x.shape[dims[i]] (a strided view).
// dx = permute(g, inverse(dims)), where inverse(dims)[dims[i]] = i.
// transpose(x, a, b) is the permutation that swaps a and b.
#include <algorithm>

#include "ops/builtin_ops.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

namespace {

// Wraps each dim and checks that `dims` is a permutation of [0, rank).
std::vector<std::int64_t> checked_permutation(const Shape& shape, const std::vector<std::int64_t>& dims,
                                              std::string_view op) {
  const auto rank = static_cast<std::int64_t>(shape.size());
  TG_CHECK(static_cast<std::int64_t>(dims.size()) == rank, ShapeError,
           "{}: dims {} must list each of the {} dims of shape {} once", op, dims, rank, shape);
  std::vector<std::int64_t> perm;
  std::vector<bool> seen(shape.size(), false);
  for (const std::int64_t d : dims) {
    const std::int64_t w = wrap_dim(d, rank, op);
    TG_CHECK(!seen[static_cast<std::size_t>(w)], IndexError, "{}: dims {} repeat dim {}", op, dims, w);
    seen[static_cast<std::size_t>(w)] = true;
    perm.push_back(w);
  }
  return perm;
}

}  // namespace

OpDef<std::vector<std::int64_t>> make_permute_op() {
  return {
      .name = "permute",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const std::vector<std::int64_t>& dims) {
            const Tensor& x = ctx.input(0);
            const auto perm = checked_permutation(x.shape(), dims, ctx.op_name());
            Shape shape;
            Strides strides;
            for (const std::int64_t d : perm) {
              shape.push_back(x.shape()[static_cast<std::size_t>(d)]);
              strides.push_back(x.strides()[static_cast<std::size_t>(d)]);
            }
            return raw::as_strided(x, shape, strides, x.offset());
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g,
                     const std::vector<std::int64_t>& dims) -> std::vector<Tensor> {
        const auto perm = checked_permutation(ctx.input_shape(0), dims, ctx.op_name());
        std::vector<std::int64_t> inverse(perm.size());
        for (std::size_t i = 0; i < perm.size(); ++i)
          inverse[static_cast<std::size_t>(perm[i])] = static_cast<std::int64_t>(i);
        return {permute(g, inverse)};
      },
      .samples =
          [] {
            Generator gen(samples::kSeed + 22);
            Tensor transposed = transpose(samples::arg({4, 3, 2}, gen).detach(), 0, 2).set_requires_grad(true);
            return std::vector<OpSample<std::vector<std::int64_t>>>{
                {"[2, 3, 4] by (2, 0, 1)", {samples::arg({2, 3, 4}, gen)}, std::vector<std::int64_t>{2, 0, 1}},
                {"[3, 4] by (-1, 0)", {samples::arg({3, 4}, gen)}, std::vector<std::int64_t>{-1, 0}},
                {"[] by ()", {samples::arg({}, gen)}, std::vector<std::int64_t>{}},
                {"non-contiguous [2, 3, 4] by (1, 2, 0)", {transposed}, std::vector<std::int64_t>{1, 2, 0}},
                {"[2, 0, 3] by (2, 0, 1) (empty)", {samples::arg({2, 0, 3}, gen)}, std::vector<std::int64_t>{2, 0, 1}},
            };
          },
      .elementary = true,
      .summary = "reorder dims (strided view)",
  };
}

Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims) {
  return call(builtin_ops().permute, {x}, dims);
}

Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1) {
  TG_CHECK(x.dim() >= 1, ShapeError, "transpose: expected a tensor of rank >= 1, got shape {}", x.shape());
  const std::int64_t a = wrap_dim(dim0, x.dim(), "transpose");
  const std::int64_t b = wrap_dim(dim1, x.dim(), "transpose");
  std::vector<std::int64_t> perm(static_cast<std::size_t>(x.dim()));
  for (std::size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<std::int64_t>(i);
  std::swap(perm[static_cast<std::size_t>(a)], perm[static_cast<std::size_t>(b)]);
  return permute(x, perm);
}

}  // namespace tg
