// nll_loss: per-position negative log-likelihood of log-probabilities x [N, C, d1, ...]
// (classes at dim 1) and class labels t [N, d1, ...]:
//   loss_i = -x[i, t_i]        (0 where t_i == ignore_index)
// dx = -onehot(t) * g[:, None] (zero where ignored), written with ops so it differentiates
// again; the labels get no gradient.
// Reference: -sum_c(onehot(t) * x, 1), the one-hot built from eq(t, arange(C)).
#include "ops/elementwise.hpp"
#include "ops/loss.hpp"
#include "ops/loss/class_targets.hpp"
#include "ops/loss/loss_ops.hpp"
#include "ops/reduction.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

namespace {

Tensor nll_loss_forward(ForwardContext& ctx, const NllLossAttrs& attrs) {
  const std::int64_t ignore = attrs.ignore_index;
  check_class_target(ctx.op_name(), ctx.input(0), ctx.input(1), ignore);
  if (ctx.recording()) ctx.save("target", ctx.input(1));
  const Tensor x = raw::contiguous(ctx.input(0));
  const Tensor t = raw::contiguous(ctx.input(1));
  // x[n, c, k] (trailing dims flattened to k) sits at (n * C + c) * inner + k.
  const std::int64_t c = x.size(1);
  const std::int64_t inner = x.numel() == 0 ? 0 : x.numel() / (x.size(0) * c);
  const std::int64_t* pt = t.data<std::int64_t>();
  return visit_floating(x.dtype(), ctx.op_name(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = empty(t.shape(), {.dtype = x.dtype()});
    const T* px = x.data<T>();
    T* po = out.data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) {
      const std::int64_t n = inner == 0 ? 0 : i / inner, k = inner == 0 ? 0 : i % inner;
      po[i] = pt[i] == ignore ? T(0) : -px[(n * c + pt[i]) * inner + k];
    }
    return out;
  });
}

std::vector<Tensor> nll_loss_backward(const BackwardContext& ctx, const Tensor& g, const NllLossAttrs& attrs) {
  const Shape& x_shape = ctx.input_shape(0);
  const DType dtype = g.dtype();
  const Tensor q = smoothed_one_hot(ctx.saved("target"), x_shape[1], 0.0, dtype, attrs.ignore_index);
  return {neg(mul(q, unsqueeze(g, 1))), Tensor()};
}

Tensor nll_loss_composition(std::span<const Tensor> in, const NllLossAttrs& a) {
  const Tensor& x = in[0];
  return -sum(detail::one_hot_at_dim1(in[1], x.size(1), 0.0, a.ignore_index, x.dtype()) * x, {1});
}

std::vector<OpSample<NllLossAttrs>> nll_loss_samples() {
  Generator gen(samples::kSeed + 420);
  const auto labels = [](std::vector<std::int64_t> v, const Shape& shape) { return from_vector(v, shape); };
  return {
      {"[4, 3]", {samples::arg({4, 3}, gen, -3.0, 0.0), labels({2, 0, 2, 1}, {4})}, NllLossAttrs{}},
      {"[4, 3], ignore_index -100 once",
       {samples::arg({4, 3}, gen, -3.0, 0.0), labels({1, -100, 0, 2}, {4})},
       NllLossAttrs{}},
      {"[2, 4, 3] (N, C, L), ignore_index 0",
       {samples::arg({2, 4, 3}, gen, -3.0, 0.0), labels({0, 3, 1, 2, 0, 3}, {2, 3})},
       NllLossAttrs{.ignore_index = 0}},
      {"[0, 3] (empty batch)", {samples::arg({0, 3}, gen), labels({}, {0})}, NllLossAttrs{}},
      {.label = "[2, 3], label 3 out of range",
       .inputs = {samples::arg({2, 3}, gen), labels({1, 3}, {2})},
       .attrs = NllLossAttrs{},
       .rejects = &typeid(IndexError)},
  };
}

}  // namespace

OpDef<NllLossAttrs> make_nll_loss_op() {
  return {
      .name = "nll_loss",
      .arity = 2,
      .forward = nll_loss_forward,
      .backward = nll_loss_backward,
      .reference = nll_loss_composition,
      .samples = nll_loss_samples,
      .summary = "per-position negative log-likelihood of log-probabilities [N, C, ...] (ignore_index)",
  };
}

Tensor nll_loss_per_sample(const Tensor& log_probs, const Tensor& target, std::int64_t ignore_index) {
  return call(loss_ops().nll_loss, {log_probs, target}, NllLossAttrs{.ignore_index = ignore_index});
}

}  // namespace tg
