// softmax: y_i = exp(x_i - m) / sum_j exp(x_j - m) along dim, m = max_j x_j (subtracting m
// keeps exp from overflowing and does not change y).
// dx = y * (g - sum(g * y, dim, keepdim)).
#include <cmath>

#include "ops/elementwise.hpp"
#include "ops/kernels/reduce.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/reduce_attrs.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

namespace detail {
Tensor softmax_forward(std::string_view op, const Tensor& x, std::int64_t dim, bool log) {
  const std::vector<std::int64_t> dims = wrap_dims({dim}, x.dim(), op);
  return visit_floating(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const auto rows = kernels::reduction_rows<T>(x, dims);
    const std::int64_t inner = rows.inner;
    if (inner == 0 || rows.outer == 0) return empty(x.shape(), {.dtype = x.dtype()});
    Tensor out = empty({rows.outer * inner}, {.dtype = x.dtype()});
    T* dst = out.data<T>();
    // Rows are independent and each is folded in a fixed order: thread-count independent.
    parallel_for(rows.outer, std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(inner, 1)),
                 [&](std::int64_t begin, std::int64_t end) {
                   for (std::int64_t r = begin; r < end; ++r) {
                     const T* v = rows.row(r);
                     T* y = dst + r * inner;
                     T m = v[0];
                     for (std::int64_t j = 1; j < inner; ++j) m = v[j] > m || std::isnan(v[j]) ? v[j] : m;
                     for (std::int64_t j = 0; j < inner; ++j) y[j] = std::exp(v[j] - m);
                     const T s = kernels::block_sum(y, inner);
                     if (log) {
                       const T log_s = std::log(s);
                       for (std::int64_t j = 0; j < inner; ++j) y[j] = (v[j] - m) - log_s;
                     } else {
                       for (std::int64_t j = 0; j < inner; ++j) y[j] /= s;
                     }
                   }
                 });
    return raw::contiguous(unpermute_rows(out, x.shape(), dims));
  });
}
}  // namespace detail

OpDef make_softmax_op() {
  return {
      .name = "softmax",
      .arity = 1,
      .forward = [](ForwardContext& ctx) {
        if (ctx.recording()) ctx.save_output();
        return detail::softmax_forward(ctx.op_name(), ctx.input(0), ctx.attrs<std::int64_t>(), false);
      },
      .backward = [](const BackwardContext& ctx, const Tensor& g) -> std::vector<Tensor> {
        const Tensor y = ctx.output();
        return {y * (g - sum(g * y, {ctx.attrs<std::int64_t>()}, true))};
      },
      .samples = [] {
        Generator gen(samples::kSeed + 15);
        Tensor base = samples::arg({4, 3, 2}, gen, -2.0, 2.0);
        Tensor strided = raw::as_strided(base.detach(), {2, 3, 4}, {1, 2, 6}, 0).set_requires_grad(true);
        return std::vector<OpSample>{
            {"[3, 4] dim 1", {samples::arg({3, 4}, gen, -2.0, 2.0)}, std::int64_t{1}},
            {"[2, 3, 4] dim 0", {samples::arg({2, 3, 4}, gen, -2.0, 2.0)}, std::int64_t{0}},
            {"non-contiguous dim -2", {strided}, std::int64_t{-2}},
            {"[5] dim 0", {samples::arg({5}, gen, -2.0, 2.0)}, std::int64_t{0}},
        };
      },
      .summary = "softmax along a dim (max-subtracted)",
  };
}

Tensor softmax(const Tensor& x, std::int64_t dim) {
  static const OpDef& op = registry().get("softmax");
  return call(op, {x}, dim);
}

}  // namespace tg
