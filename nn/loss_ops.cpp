// The fused loss ops. Their backward rules are written with differentiable ops
// (softmax, sigmoid, sub, mul) so gradients of gradients work.
#include "nn/loss_ops.hpp"

#include <algorithm>
#include <cmath>

#include "ops/elementwise.hpp"
#include "ops/kernels/math/softmax_kernels.hpp"
#include "ops/reduction.hpp"
#include "ops/registry.hpp"
#include "ops/shape_ops.hpp"

namespace tg::nn::detail {

Tensor smoothed_one_hot(const Tensor& target, std::int64_t num_classes, double smoothing, DType dtype) {
  const Tensor t = raw::contiguous(target);
  const std::int64_t n = t.numel();
  Tensor q = full({n, num_classes}, smoothing / static_cast<double>(num_classes), {.dtype = DType::Float64});
  double* pq = q.data<double>();
  const std::int64_t* pt = t.data<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) pq[i * num_classes + pt[i]] += 1.0 - smoothing;
  return dtype == DType::Float64 ? q : q.clone_as(dtype);
}

namespace {

struct CrossEntropyAttrs {
  double label_smoothing = 0.0;
};

const OpDef& cross_entropy_op() {
  static const OpDef op{
      .name = "cross_entropy",
      .arity = 2,
      .forward = [](ForwardContext& ctx) {
        const Tensor x = raw::contiguous(ctx.input(0));
        const Tensor t = raw::contiguous(ctx.input(1));
        const double s = ctx.attrs<CrossEntropyAttrs>().label_smoothing;
        if (ctx.recording()) {
          ctx.save(ctx.input(0));
          ctx.save(ctx.input(1));
        }
        const std::int64_t n = x.size(0), c = x.size(1);
        const std::int64_t* pt = t.data<std::int64_t>();
        return visit_floating(x.dtype(), "cross_entropy", [&](auto tag) {
          using T = decltype(tag);
          Tensor out = empty({n}, {.dtype = x.dtype()});
          const T* px = x.data<T>();
          T* po = out.data<T>();
          // Rows are independent (parallel in fixed chunks); within a row, sums of chunks of
          // kChunk elements (vectorised, in T) are accumulated in double, in order.
          constexpr std::int64_t kChunk = 256;
          parallel_for(n, std::max<std::int64_t>(1, 32768 / c), [&](std::int64_t begin, std::int64_t end) {
            T e[kChunk];  // exp(x - m) of one chunk
            for (std::int64_t i = begin; i < end; ++i) {
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
      },
      .backward = [](const BackwardContext& ctx, const Tensor& g) -> std::vector<Tensor> {
        const Tensor& x = ctx.saved(0);
        const Tensor q = smoothed_one_hot(ctx.saved(1), x.size(1), ctx.attrs<CrossEntropyAttrs>().label_smoothing,
                                          x.dtype());
        return {mul(sub(softmax(x, 1), q), unsqueeze(g, 1)), Tensor()};
      },
      .summary = "per-sample cross-entropy of logits and class labels",
  };
  return op;
}

const OpDef& bce_with_logits_op() {
  static const OpDef op{
      .name = "binary_cross_entropy_with_logits",
      .arity = 2,
      .forward = [](ForwardContext& ctx) {
        if (ctx.recording()) {
          ctx.save(ctx.input(0));
          ctx.save(ctx.input(1));
        }
        const Tensor x = raw::contiguous(ctx.input(0));
        const Tensor y = raw::contiguous(ctx.input(1).clone_as(x.dtype()));
        return visit_floating(x.dtype(), "binary_cross_entropy_with_logits", [&](auto tag) {
          using T = decltype(tag);
          Tensor out = empty(x.shape(), {.dtype = x.dtype()});
          const T* px = x.data<T>();
          const T* py = y.data<T>();
          T* po = out.data<T>();
          parallel_for(x.numel(), 32768, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
              const T v = px[i];
              po[i] = std::max(v, T(0)) - v * py[i] + std::log1p(std::exp(-std::abs(v)));
            }
          });
          return out;
        });
      },
      .backward = [](const BackwardContext& ctx, const Tensor& g) -> std::vector<Tensor> {
        const Tensor& x = ctx.saved(0);
        const Tensor& y = ctx.saved(1);
        return {ctx.needs_input_grad(0) ? mul(sub(sigmoid(x), y), g) : Tensor(),
                ctx.needs_input_grad(1) ? mul(neg(x), g) : Tensor()};
      },
      .summary = "elementwise binary cross-entropy of logits and targets",
  };
  return op;
}

}  // namespace

Tensor cross_entropy_per_sample(const Tensor& logits, const Tensor& target, double label_smoothing) {
  return call(cross_entropy_op(), {logits, target}, CrossEntropyAttrs{label_smoothing});
}

Tensor bce_with_logits_elementwise(const Tensor& x, const Tensor& y) { return call(bce_with_logits_op(), {x, y}); }

}  // namespace tg::nn::detail
