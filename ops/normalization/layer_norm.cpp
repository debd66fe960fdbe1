// layer_norm: x viewed as rows r of n = prod(normalized_shape) elements (the last dims),
//   mean_r = sum_j x_rj / n,  var_r = sum_j (x_rj - mean_r)^2 / n (biased),
//   rstd_r = 1 / sqrt(var_r + eps),  x_hat = (x - mean) rstd,  y = x_hat * weight + bias,
// fused in one kernel parallel over rows (ops/kernels/math/layer_norm_rows.hpp: statistics
// accumulated in double over fixed lanes, the same bits on every SIMD path).
// Backward (derived in docs/attention.md), with dy_hat = dy * weight:
//   dx = rstd * (dy_hat - mean_j(dy_hat) - x_hat * mean_j(dy_hat * x_hat)),
//   dweight = sum_r(dy * x_hat),  dbias = sum_r(dy).
// A backward that is not recorded runs the fused kernel of layer_norm_backward.cpp, on the
// mean and rstd the forward saved; under create_graph the same formula is written with ops
// on the saved inputs x and weight (mean and rstd recomputed), so that it differentiates
// again.
// Reference: the composition with mean / sub / mul / sqrt / div.
#include <numeric>

#include "autograd/grad_mode.hpp"
#include "ops/elementwise.hpp"
#include "ops/kernels/math/layer_norm_rows.hpp"
#include "ops/normalization.hpp"
#include "ops/normalization/normalization_ops.hpp"
#include "ops/reduction.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "tensor/parallel.hpp"

namespace tg {

namespace detail {

LayerNormRows layer_norm_rows(std::string_view op, const Tensor& x, const Shape& normalized_shape) {
  const auto k = static_cast<std::int64_t>(normalized_shape.size());
  TG_CHECK(k >= 1, ShapeError, "{}: normalized_shape must have at least one dim, got {} for input shape {}", op,
           normalized_shape, x.shape());
  bool matches = x.dim() >= k;
  for (std::int64_t i = 0; matches && i < k; ++i) matches = x.size(x.dim() - k + i) == normalized_shape[i];
  TG_CHECK(matches, ShapeError, "{}: input shape {} does not end in normalized_shape {}", op, x.shape(),
           normalized_shape);
  const std::int64_t n = std::accumulate(normalized_shape.begin(), normalized_shape.end(), std::int64_t{1},
                                         std::multiplies<std::int64_t>());
  return {.rows = n == 0 ? 0 : x.numel() / n, .n = n};
}

}  // namespace detail

namespace {

// The normalized dims, counted from the end: {-k, ..., -1}.
Dims normalized_dims(const LayerNormAttrs& a) {
  Dims dims;
  for (auto d = -static_cast<std::int64_t>(a.normalized_shape.size()); d < 0; ++d) dims.push_back(d);
  return dims;
}

void check_affine(std::string_view op, const char* what, const Tensor& p, const Tensor& x, const Shape& normalized) {
  if (!p.defined()) return;
  TG_CHECK(p.shape() == normalized, ShapeError, "{}: {} has shape {}, expected normalized_shape {}", op, what,
           p.shape(), normalized);
  TG_CHECK(p.dtype() == x.dtype(), DTypeError, "{}: {} has dtype {}, input {}", op, what, dtype_name(p.dtype()),
           dtype_name(x.dtype()));
}

Tensor layer_norm_forward(ForwardContext& ctx, const LayerNormAttrs& a) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  const Tensor& b = ctx.input(2);
  const detail::LayerNormRows r = detail::layer_norm_rows(ctx.op_name(), x, a.normalized_shape);
  check_affine(ctx.op_name(), "weight", w, x, a.normalized_shape);
  check_affine(ctx.op_name(), "bias", b, x, a.normalized_shape);
  TG_CHECK(a.eps >= 0.0, ValueError, "{}: eps must be non-negative, got {}", ctx.op_name(), a.eps);
  // Each row's mean and rstd, for the fused backward (read as constants there; under
  // create_graph the backward recomputes them with ops).
  const Tensor stats = ctx.recording() ? empty({r.rows, 2}, {.dtype = DType::Float64}) : Tensor();
  Tensor y = visit_floating(x.dtype(), ctx.op_name(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor xc = raw::contiguous(x);
    const Tensor wc = w.defined() ? raw::contiguous(w) : Tensor();
    const Tensor bc = b.defined() ? raw::contiguous(b) : Tensor();
    Tensor y = empty(x.shape(), {.dtype = x.dtype()});
    kernels::LayerNormForwardRows<T> rows{.x = xc.data<T>(),
                                          .weight = wc.defined() ? wc.data<T>() : nullptr,
                                          .bias = bc.defined() ? bc.data<T>() : nullptr,
                                          .y = y.data<T>(),
                                          .stats = stats.defined() ? stats.data<double>() : nullptr,
                                          .n = r.n,
                                          .eps = a.eps};
    // Rows are independent, so any split of them gives the same bits.
    parallel_for(r.rows, std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(r.n, 1)),
                 [&](std::int64_t begin, std::int64_t end) {
                   kernels::LayerNormForwardRows<T> part = rows;
                   part.x += begin * r.n;
                   part.y += begin * r.n;
                   if (part.stats != nullptr) part.stats += 2 * begin;
                   part.rows = end - begin;
                   kernels::layer_norm_forward_rows(part);
                 });
    return y;
  });
  if (ctx.recording()) {
    ctx.save("x", x);
    ctx.save("weight", w);  // undefined without affine weight
    ctx.save("stats", stats);
  }
  return y;
}

std::vector<Tensor> layer_norm_backward(const BackwardContext& ctx, const Tensor& g, const LayerNormAttrs& a) {
  const Tensor& x = ctx.saved("x");
  const Tensor& w = ctx.saved("weight");
  const std::vector<bool> needs{ctx.needs_input_grad(0), ctx.needs_input_grad(1), ctx.needs_input_grad(2)};
  if (!is_grad_enabled()) return detail::layer_norm_backward_fused(g, x, w, a, needs, ctx.saved("stats"));
  const Dims dims = normalized_dims(a);
  const detail::Normalized n = detail::normalize_with_ops(x, dims, a.eps);
  const Shape& ns = a.normalized_shape;
  const Tensor dx = needs[0] ? detail::normalized_input_grad(w.defined() ? g * w : g, n, dims) : Tensor();
  return {dx, needs[1] ? sum_to(g * n.x_hat, ns) : Tensor(), needs[2] ? sum_to(g, ns) : Tensor()};
}

Tensor layer_norm_composition(std::span<const Tensor> in, const LayerNormAttrs& a) {
  Tensor y = detail::normalize_with_ops(in[0], normalized_dims(a), a.eps).x_hat;
  if (in[1].defined()) y = y * in[1];
  if (in[2].defined()) y = y + in[2];
  return y;
}

std::vector<OpSample<LayerNormAttrs>> layer_norm_samples() {
  Generator gen(samples::kSeed + 1700);
  const auto arg = [&](const Shape& s) { return samples::arg(s, gen, -2.0, 2.0); };
  Tensor base = arg({4, 3, 2});
  Tensor permuted = raw::as_strided(base.detach(), {2, 3, 4}, {1, 2, 6}, 0).set_requires_grad(true);
  // Every sample has weight and bias: gradcheck needs defined inputs (tests/test_layer_norm.cpp
  // covers layer_norm without them).
  return {
      {"[3, 4] over [4], affine", {arg({3, 4}), arg({4}), arg({4})}, LayerNormAttrs{{4}}},
      {"[2, 3, 4] over [3, 4], affine, eps 0.1",
       {arg({2, 3, 4}), arg({3, 4}), arg({3, 4})},
       LayerNormAttrs{{3, 4}, 0.1}},
      {"non-contiguous [2, 3, 4] over [4]", {permuted, arg({4}), arg({4})}, LayerNormAttrs{{4}}},
      {"[0, 4] over [4] (no rows)", {arg({0, 4}), arg({4}), arg({4})}, LayerNormAttrs{{4}}},
      {.label = "[3, 4] over [3] (shape does not end in it)",
       .inputs = {arg({3, 4}), Tensor(), Tensor()},
       .attrs = LayerNormAttrs{{3}},
       .rejects = &typeid(ShapeError)},
  };
}

}  // namespace

OpDef<LayerNormAttrs> make_layer_norm_op() {
  return {
      .name = "layer_norm",
      .arity = 3,
      .forward = layer_norm_forward,
      .backward = layer_norm_backward,
      .reference = layer_norm_composition,
      .samples = layer_norm_samples,
      .summary = "layer normalization over the last dims (biased variance, optional affine)",
  };
}

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  return call(normalization_ops().layer_norm, {x, weight, bias}, LayerNormAttrs{normalized_shape, eps});
}

}  // namespace tg
