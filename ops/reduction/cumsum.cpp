// cumsum: y[.., i, ..] = sum over j <= i of x[.., j, ..] along dim (bool counts as int64;
// int64 wraps around). Each lane is summed in index order, so the bits do not depend on the
// thread count.
// dx = flip(cumsum(flip(g))) along dim: x_j feeds every y_i with i >= j (a suffix sum).
// Reference: x moved to the last dim, times the upper-triangular ones matrix
// U[j, i] = (j <= i), moved back.
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/statistic_ops.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/checked_math.hpp"
#include "tensor/factories.hpp"
#include "tensor/parallel.hpp"

namespace tg {

namespace {

Tensor cumsum_forward(std::string_view op, const Tensor& input, std::int64_t dim) {
  const Tensor x = input.dtype() == DType::Bool ? input.clone_as(DType::Int64) : input;
  const std::int64_t d = wrap_dim(dim, x.dim(), op);
  return visit_numeric(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    // x as [outer, n, inner] along dim: each step adds a contiguous run of inner lanes.
    std::int64_t outer = 1, n = 1, inner = 1;
    for (std::int64_t i = 0; i < x.dim(); ++i) (i < d ? outer : i == d ? n : inner) *= x.size(i);
    const Tensor xc = raw::contiguous(x);
    Tensor out = empty(x.shape(), {.dtype = x.dtype()});
    if (out.numel() == 0) return out;
    const T* src = xc.data<T>();
    T* dst = out.data<T>();
    parallel_for(outer, std::max<std::int64_t>(1, 32768 / (n * inner)), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t o = begin; o < end; ++o) {
        const T* s = src + o * n * inner;
        T* y = dst + o * n * inner;
        for (std::int64_t c = 0; c < inner; ++c) y[c] = s[c];
        for (std::int64_t i = 1; i < n; ++i) {
          for (std::int64_t c = 0; c < inner; ++c)
            y[i * inner + c] = wrapping_add(y[(i - 1) * inner + c], s[i * inner + c]);
        }
      }
    });
    return out;
  });
}

Tensor cumsum_composition(std::span<const Tensor> in, const std::int64_t& dim) {
  const Tensor& x = in[0];
  const std::int64_t d = wrap_dim(dim, x.dim(), "cumsum reference");
  const auto n = static_cast<double>(x.size(d));
  const Tensor j = reshape(arange(n, {.dtype = DType::Float64}), {x.size(d), 1});
  const Tensor i = reshape(arange(n, {.dtype = DType::Float64}), {1, x.size(d)});
  const Tensor upper = cast(le(j, i), x.dtype());
  return transpose(matmul(transpose(x, d, -1), upper), d, -1);
}

}  // namespace

OpDef<std::int64_t> make_cumsum_op() {
  return {
      .name = "cumsum",
      .arity = 1,
      .forward = [](ForwardContext& ctx,
                    const std::int64_t& dim) { return cumsum_forward(ctx.op_name(), ctx.input(0), dim); },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const std::int64_t& dim) -> std::vector<Tensor> {
        const std::int64_t d = wrap_dim(dim, static_cast<std::int64_t>(ctx.input_shape(0).size()), ctx.op_name());
        return {flip(cumsum(flip(g, {d}), d), {d})};
      },
      .reference = cumsum_composition,
      .samples =
          [] {
            Generator gen(samples::kSeed + 506);
            Tensor base = samples::arg({4, 3, 2}, gen);
            Tensor strided = raw::as_strided(base.detach(), {2, 3, 4}, {1, 2, 6}, 0).set_requires_grad(true);
            return std::vector<OpSample<std::int64_t>>{
                {"[5] dim 0", {samples::arg({5}, gen)}, std::int64_t{0}},
                {"[3, 4] dim 1", {samples::arg({3, 4}, gen)}, std::int64_t{1}},
                {"[2, 3, 4] dim 1", {samples::arg({2, 3, 4}, gen)}, std::int64_t{1}},
                {"non-contiguous dim -1", {strided}, std::int64_t{-1}},
                {"[0, 3] dim 1 (empty)", {samples::arg({0, 3}, gen)}, std::int64_t{1}},
                {"[3, 0] dim 1 (empty: along nothing)", {samples::arg({3, 0}, gen)}, std::int64_t{1}},
            };
          },
      .summary = "cumulative sum along a dim",
  };
}

Tensor cumsum(const Tensor& x, std::int64_t dim) { return call(statistic_ops().cumsum, {x}, dim); }

}  // namespace tg
