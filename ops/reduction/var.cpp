// var: y = sum over dims of (x - m)^2 / (n - c), m = mean of x over dims, n = the number of
// reduced elements, c = 1 (unbiased, Bessel's correction) or 0. Computed in two passes (the
// mean, then the squared deviations), which stays accurate where sum(x^2) - n m^2 would
// cancel. As in PyTorch, n - c = 0 (one element, unbiased) gives NaN and an empty block NaN.
// dx = g * 2 (x - m) / (n - c) (the m terms of the chain rule sum to zero).
// Reference: mean((x - mean(x))^2) * n / (n - c).
#include <cmath>
#include <limits>

#include "ops/elementwise.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/row_stats.hpp"
#include "ops/reduction/statistic_ops.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

namespace detail {

Tensor variance_forward(std::string_view op, const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim,
                        bool unbiased, bool root) {
  return visit_floating(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    Tensor out = empty(reduced_shape(x.shape(), dims, keepdim), {.dtype = x.dtype()});
    const auto rows = kernels::reduction_rows<T>(x, dims);
    std::vector<T> means(static_cast<std::size_t>(rows.outer));
    sum_rows_about<T>(rows, nullptr, means.data(), [](T v, T) { return v; });
    const T n = static_cast<T>(rows.inner);
    for (T& m : means) m /= n;
    T* y = out.data<T>();
    sum_rows_about<T>(rows, means.data(), y, [](T v, T m) { return (v - m) * (v - m); });
    const T divisor = n - (unbiased ? T(1) : T(0));
    for (std::int64_t r = 0; r < rows.outer; ++r) {
      const T v = rows.inner == 0 ? std::numeric_limits<T>::quiet_NaN() : y[r] / divisor;
      y[r] = root ? std::sqrt(v) : v;
    }
    return out;
  });
}

double variance_divisor(const Shape& shape, const VarianceAttrs& attrs, std::string_view op) {
  double n = 1.0;
  for (const std::int64_t d : wrap_dims(attrs.dims, static_cast<std::int64_t>(shape.size()), op)) {
    n *= static_cast<double>(shape[d]);
  }
  return n - (attrs.unbiased ? 1.0 : 0.0);
}

Tensor centred(const Tensor& x, const VarianceAttrs& attrs) { return x - mean(x, attrs.dims, true); }

std::vector<OpSample<VarianceAttrs>> variance_samples(std::uint64_t seed) {
  Generator gen(seed);
  Tensor base = samples::arg({4, 3, 2}, gen);
  Tensor strided = raw::as_strided(base.detach(), {2, 3, 4}, {1, 2, 6}, 0).set_requires_grad(true);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  return {
      {"all dims, unbiased", {samples::arg({3, 4}, gen)}, VarianceAttrs{{}, true, false}},
      {"dim 1, biased", {samples::arg({2, 3, 4}, gen)}, VarianceAttrs{{1}, false, false}},
      {"dims {0, -1} keepdim", {samples::arg({2, 3, 4}, gen)}, VarianceAttrs{{0, -1}, true, true}},
      {"non-contiguous dim 2", {strided}, VarianceAttrs{{2}, true, false}},
      {"[3, 0] dim 0 (empty result)", {samples::arg({3, 0}, gen)}, VarianceAttrs{{0}, true, false}},
      {.label = "[0, 3] dim 0 (empty block: NaN)",
       .inputs = {samples::arg({0, 3}, gen)},
       .attrs = VarianceAttrs{{0}, false, false},
       .expected = full({3}, nan, {.dtype = DType::Float64})},
  };
}

}  // namespace detail

namespace {

Tensor var_composition(std::span<const Tensor> in, const detail::VarianceAttrs& a) {
  const Tensor& x = in[0];
  const Tensor c = detail::centred(x, a);
  const double divisor = detail::variance_divisor(x.shape(), a, "var reference");
  const double n = divisor + (a.unbiased ? 1.0 : 0.0);
  return mean(c * c, a.dims, a.keepdim) * (n / divisor);
}

}  // namespace

OpDef<detail::VarianceAttrs> make_var_op() {
  return {
      .name = "var",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const detail::VarianceAttrs& attrs) {
            const Tensor& x = ctx.input(0);
            const auto dims = wrap_dims(attrs.dims, x.dim(), ctx.op_name());
            if (ctx.recording()) ctx.save("x", x);
            return detail::variance_forward(ctx.op_name(), x, dims, attrs.keepdim, attrs.unbiased, false);
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g,
                     const detail::VarianceAttrs& attrs) -> std::vector<Tensor> {
        const Tensor x = ctx.saved("x");
        const double divisor = detail::variance_divisor(x.shape(), attrs, ctx.op_name());
        const Tensor ge = detail::expand_reduced_grad(g, x.shape(), {attrs.dims, attrs.keepdim});
        return {ge * detail::centred(x, attrs) * (2.0 / divisor)};
      },
      .reference = var_composition,
      .samples = [] { return detail::variance_samples(samples::kSeed + 500); },
      .summary = "variance over dims (empty = all), unbiased (n - 1) or not, keepdim; two-pass",
  };
}

Tensor var(const Tensor& x, const Dims& dims, bool unbiased, bool keepdim) {
  return call(statistic_ops().var, {x}, detail::VarianceAttrs{dims, unbiased, keepdim});
}

}  // namespace tg
