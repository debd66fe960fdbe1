// cross_entropy: per-position cross-entropy of logits x [N, C, d1, ...] (classes at dim 1)
// and class labels t [N, d1, ...], with label smoothing s: q = (1 - s) onehot(t) + s / C,
//   loss_i = logsumexp_c(x_ic) - sum_c q_ic x_ic = lse_i - (1 - s) x_{i,t_i} - s mean_c(x_ic)
// fused in one pass per row of classes (max, exp-sum and the row sum), never forming
// softmax; positions with t_i == ignore_index give 0 (q_i = 0).
// dx = (softmax(x, 1) - q) * (g kept)[:, None], kept = (t != ignore_index), written with ops
// so it differentiates again; the labels get no gradient.
// Reference: -sum_c(q * log_softmax(x, 1)), q built from eq(t, arange(C)) (compose::one_hot).
#include <algorithm>
#include <cmath>

#include "ops/builtin_ops.hpp"
#include "ops/compose.hpp"
#include "ops/elementwise.hpp"
#include "ops/kernels/math/softmax_kernels.hpp"
#include "ops/loss.hpp"
#include "ops/loss/class_targets.hpp"
#include "ops/reduction.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/parallel.hpp"

namespace tg {

namespace {

Tensor cross_entropy_forward(ForwardContext& ctx, const CrossEntropyAttrs& attrs) {
  const double s = attrs.label_smoothing;
  const std::int64_t ignore = attrs.ignore_index;
  check_class_target(ctx.op_name(), ctx.input(0), ctx.input(1), ignore);
  TG_CHECK(s >= 0.0 && s <= 1.0, ValueError, "{}: label_smoothing must be in [0, 1], got {}", ctx.op_name(), s);
  const Tensor x = detail::class_rows(ctx.input(0));
  const Tensor t = raw::contiguous(ctx.input(1));
  if (ctx.recording()) {
    ctx.save("logits", ctx.input(0));
    ctx.save("target", ctx.input(1));
  }
  const std::int64_t n = x.size(0), c = x.size(1);
  const std::int64_t* pt = t.data<std::int64_t>();
  return visit_floating(x.dtype(), ctx.op_name(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = empty(t.shape(), {.dtype = x.dtype()});
    const T* px = x.data<T>();
    T* po = out.data<T>();
    // Rows are independent (parallel in fixed chunks); within a row, sums of chunks of
    // kChunk elements (vectorised, in T) are accumulated in double, in order.
    constexpr std::int64_t kChunk = 256;
    parallel_for(n, std::max<std::int64_t>(1, 32768 / c), [&](std::int64_t begin, std::int64_t end) {
      T e[kChunk];  // exp(x - m) of one chunk
      for (std::int64_t i = begin; i < end; ++i) {
        if (pt[i] == ignore) {
          po[i] = T(0);
          continue;
        }
        const T* row = px + i * c;
        const T m = kernels::row_max(row, c);
        double z = 0.0, sum_x = 0.0;
        for (std::int64_t j = 0; j < c; j += kChunk) {
          const std::int64_t len = std::min(kChunk, c - j);
          kernels::exp_shifted(row + j, m, e, len);
          z += static_cast<double>(kernels::block_sum(e, len));
          sum_x += static_cast<double>(kernels::block_sum(row + j, len));
        }
        const double lse = static_cast<double>(m) + std::log(z);
        const double mean_x = sum_x / static_cast<double>(c);
        po[i] = static_cast<T>(lse - (1.0 - s) * static_cast<double>(row[pt[i]]) - s * mean_x);
      }
    });
    return out;
  });
}

std::vector<Tensor> cross_entropy_backward(const BackwardContext& ctx, const Tensor& g,
                                           const CrossEntropyAttrs& attrs) {
  const Tensor& x = ctx.saved("logits");
  const Tensor& t = ctx.saved("target");
  const std::int64_t ignore = attrs.ignore_index;
  const Tensor q = smoothed_one_hot(t, x.size(1), attrs.label_smoothing, x.dtype(), ignore);
  // Ignored positions have q = 0, so their softmax must be masked out through g; without
  // any, g is used as it is (the same bits as before ignore_index existed).
  const bool any_ignored = count_not_ignored(t, ignore) != t.numel();
  const Tensor kept_g = any_ignored ? mul(g, cast(ne(t, scalar_like(t, static_cast<double>(ignore))), g.dtype())) : g;
  return {mul(sub(softmax(x, 1), q), unsqueeze(kept_g, 1)), Tensor()};
}

Tensor cross_entropy_composition(std::span<const Tensor> in, const CrossEntropyAttrs& a) {
  const Tensor& x = in[0];
  const Tensor q = detail::one_hot_at_dim1(in[1], x.size(1), a.label_smoothing, a.ignore_index, x.dtype());
  return -sum(q * log_softmax(x, 1), {1});
}

std::vector<OpSample<CrossEntropyAttrs>> cross_entropy_samples() {
  Generator gen(samples::kSeed + 400);
  const auto labels = [](std::vector<std::int64_t> v) {
    const auto n = static_cast<std::int64_t>(v.size());
    return from_vector(v, {n});
  };
  return {
      {"[4, 5]", {samples::arg({4, 5}, gen, -2.0, 2.0), labels({0, 4, 2, 2})}, CrossEntropyAttrs{}},
      {"[3, 4], label smoothing 0.1",
       {samples::arg({3, 4}, gen, -2.0, 2.0), labels({3, 1, 0})},
       CrossEntropyAttrs{0.1}},
      {"[1, 6], label smoothing 1 (uniform)",
       {samples::arg({1, 6}, gen, -2.0, 2.0), labels({5})},
       CrossEntropyAttrs{1.0}},
      {"[0, 3] (empty batch)", {samples::arg({0, 3}, gen), labels({})}, CrossEntropyAttrs{0.1}},
      {"[5, 3], ignore_index -100 twice",
       {samples::arg({5, 3}, gen, -2.0, 2.0), labels({2, -100, 0, -100, 1})},
       CrossEntropyAttrs{}},
      {"[2, 3, 4] (N, C, L), ignore_index 1, label smoothing 0.2",
       {samples::arg({2, 3, 4}, gen, -2.0, 2.0),
        from_vector(std::vector<std::int64_t>{0, 1, 2, 2, 1, 0, 0, 2}, {2, 4})},
       CrossEntropyAttrs{.label_smoothing = 0.2, .ignore_index = 1}},
      {"[1, 4, 2, 3] (N, C, H, W)",
       {samples::arg({1, 4, 2, 3}, gen, -2.0, 2.0),
        from_vector(std::vector<std::int64_t>{3, 0, 1, 2, 2, 1}, {1, 2, 3})},
       CrossEntropyAttrs{}},
      {"[2, 3, 0] (empty positions)",
       {samples::arg({2, 3, 0}, gen), from_vector(std::vector<std::int64_t>{}, {2, 0})},
       CrossEntropyAttrs{}},
      // As in PyTorch: no classes, and a label out of range, are errors.
      {.label = "[2, 0] (no classes)",
       .inputs = {samples::arg({2, 0}, gen), labels({0, 0})},
       .attrs = CrossEntropyAttrs{},
       .rejects = &typeid(ShapeError)},
      {.label = "[2, 3], label 3 out of range",
       .inputs = {samples::arg({2, 3}, gen), labels({1, 3})},
       .attrs = CrossEntropyAttrs{},
       .rejects = &typeid(IndexError)},
  };
}

}  // namespace

OpDef<CrossEntropyAttrs> make_cross_entropy_op() {
  return {
      .name = "cross_entropy",
      .arity = 2,
      .forward = cross_entropy_forward,
      .backward = cross_entropy_backward,
      .reference = cross_entropy_composition,
      .samples = cross_entropy_samples,
      .summary = "per-position cross-entropy of logits [N, C, ...] and class labels (label smoothing, ignore_index)",
  };
}

Tensor cross_entropy_per_sample(const Tensor& logits, const Tensor& target, double label_smoothing,
                                std::int64_t ignore_index) {
  return call(builtin_ops().cross_entropy, {logits, target},
              CrossEntropyAttrs{.label_smoothing = label_smoothing, .ignore_index = ignore_index});
}

}  // namespace tg
