// softmax: y_i = exp(x_i - m) / sum_j exp(x_j - m) along dim, m = max_j x_j (subtracting m
// keeps exp from overflowing and does not change y).
// dx = y * (g - sum(g * y, dim, keepdim)): the op softmax_backward (softmax_backward.cpp).
// Reference: exp(x - amax(x, dim)) / sum(exp(x - amax(x, dim)), dim).
#include "ops/builtin_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/kernels/math/softmax_kernels.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/reduce_attrs.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

namespace detail {
Tensor softmax_forward(std::string_view op, const Tensor& x, std::int64_t dim, bool log) {
  const std::int64_t d = wrap_dim(dim, x.dim(), op);
  return visit_floating(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    // x as [outer, n, inner] along dim: the kernel walks the dim in place, no permuted copy.
    std::int64_t outer = 1, n = 1, inner = 1;
    for (std::int64_t i = 0; i < x.dim(); ++i) (i < d ? outer : i == d ? n : inner) *= x.size(i);
    const Tensor xc = raw::contiguous(x);
    Tensor out = empty(x.shape(), {.dtype = x.dtype()});
    kernels::softmax_loops<T>(xc.data<T>(), out.data<T>(), outer, n, inner, log);
    return out;
  });
}

// x - amax(x, dim): exp of it cannot overflow. An empty x has no maximum to subtract.
Tensor max_shifted(const Tensor& x, std::int64_t dim) { return x.numel() == 0 ? x : x - amax(x, {dim}, true); }
}  // namespace detail

namespace {

Tensor softmax_composition(std::span<const Tensor> in, const std::int64_t& dim) {
  const Tensor e = exp(detail::max_shifted(in[0], dim));
  return e / sum(e, {dim}, true);
}

}  // namespace

OpDef<std::int64_t> make_softmax_op() {
  return {
      .name = "softmax",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const std::int64_t& dim) {
            if (ctx.recording()) ctx.save_output();
            return detail::softmax_forward(ctx.op_name(), ctx.input(0), dim, false);
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const std::int64_t& dim) -> std::vector<Tensor> {
        return {softmax_backward(g, ctx.output(), dim)};
      },
      .reference = softmax_composition,
      .samples =
          [] {
            Generator gen(samples::kSeed + 15);
            Tensor base = samples::arg({4, 3, 2}, gen, -2.0, 2.0);
            Tensor strided = raw::as_strided(base.detach(), {2, 3, 4}, {1, 2, 6}, 0).set_requires_grad(true);
            return std::vector<OpSample<std::int64_t>>{
                {"[3, 4] dim 1", {samples::arg({3, 4}, gen, -2.0, 2.0)}, std::int64_t{1}},
                {"[2, 3, 4] dim 0", {samples::arg({2, 3, 4}, gen, -2.0, 2.0)}, std::int64_t{0}},
                {"non-contiguous dim -2", {strided}, std::int64_t{-2}},
                {"[5] dim 0", {samples::arg({5}, gen, -2.0, 2.0)}, std::int64_t{0}},
                {"[0, 3] dim 1 (empty)", {samples::arg({0, 3}, gen)}, std::int64_t{1}},
                {"[3, 0] dim 1 (empty: over nothing)", {samples::arg({3, 0}, gen)}, std::int64_t{1}},
                {"[0, 3] dim 0 (empty, over nothing)", {samples::arg({0, 3}, gen)}, std::int64_t{0}},
                {"[3, 0] dim 0 (empty columns)", {samples::arg({3, 0}, gen)}, std::int64_t{0}},
            };
          },
      .summary = "softmax along a dim (max-subtracted)",
  };
}

Tensor softmax(const Tensor& x, std::int64_t dim) { return call(builtin_ops().softmax, {x}, dim); }

}  // namespace tg
