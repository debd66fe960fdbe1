#include "nn/losses/loss.hpp"

#include <string_view>
#include <vector>

#include "ops/elementwise.hpp"
#include "ops/loss.hpp"
#include "ops/reduction.hpp"
#include "ops/shape_ops.hpp"

namespace tg::nn {

namespace {

Tensor reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::None:
      return loss;
    case Reduction::Sum:
      return sum(loss);
    case Reduction::Mean:
      return mean(loss);
  }
  return loss;
}

// The reduction of a class-index loss: the mean is over the targets that are not ignored
// (0 / 0 = NaN when all are, as PyTorch). Without ignored targets it is the plain mean,
// bit for bit.
Tensor reduce_class_loss(const Tensor& loss, const Tensor& target, std::int64_t ignore_index, Reduction reduction) {
  if (reduction != Reduction::Mean) return reduce(loss, reduction);
  const std::int64_t kept = count_not_ignored(target, ignore_index);
  if (kept == target.numel()) return mean(loss);
  return div(sum(loss), scalar_like(loss, static_cast<double>(kept)));
}

// The class weight of each target position (weight[target], 0 where ignored) and their sum,
// the divisor of a weighted mean (PyTorch). The weight is a constant: it gets no gradient.
struct TargetWeights {
  Tensor per_position;
  double total = 0.0;
};

TargetWeights target_weights(std::string_view op, const Tensor& weight, const Tensor& target, std::int64_t ignore_index,
                             std::int64_t num_classes, DType dtype) {
  TG_CHECK(weight.dim() == 1 && weight.size(0) == num_classes, ShapeError,
           "{}: weight must have one entry per class, [{}], got shape {}", op, num_classes, weight.shape());
  TG_CHECK(weight.is_floating_point(), DTypeError, "{}: weight must be floating point, got {}", op, weight.dtype());
  const std::vector<double> w = weight.to_vector();
  const std::vector<std::int64_t> t = target.to_vector_as<std::int64_t>();
  std::vector<double> per_position(t.size(), 0.0);
  double total = 0.0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == ignore_index) continue;
    per_position[i] = w[static_cast<std::size_t>(t[i])];
    total += per_position[i];
  }
  return {from_vector(per_position, target.shape(), {.dtype = dtype}), total};
}

Tensor reduce_weighted(const Tensor& loss, double total_weight, Reduction reduction) {
  if (reduction != Reduction::Mean) return reduce(loss, reduction);
  return div(sum(loss), scalar_like(loss, total_weight));
}

// Weighted cross-entropy, composed (the fused op has no class weights). With label smoothing
// s, as PyTorch: (1 - s) w[t] (-log p_t) + (s / C) sum_c w_c (-log p_c), the second term 0
// where the target is ignored.
Tensor weighted_cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& o) {
  const double s = o.label_smoothing;
  check_class_target("cross_entropy", logits, target, o.ignore_index);
  TG_CHECK(s >= 0.0 && s <= 1.0, ValueError, "cross_entropy: label_smoothing must be in [0, 1], got {}", s);
  const std::int64_t c = logits.size(1);
  const TargetWeights tw = target_weights("cross_entropy", o.weight, target, o.ignore_index, c, logits.dtype());
  const Tensor log_p = log_softmax(logits, 1);
  Tensor loss = mul(nll_loss_per_sample(log_p, target, o.ignore_index), tw.per_position);
  if (s > 0.0) {
    Shape class_shape(static_cast<std::size_t>(logits.dim()), 1);
    class_shape[1] = c;
    const Tensor w = reshape(o.weight.detach().clone_as(logits.dtype()), class_shape);
    const Tensor kept = cast(ne(target, scalar_like(target, static_cast<double>(o.ignore_index))), logits.dtype());
    const Tensor smooth = mul(neg(sum(mul(log_p, w), {1})), kept);
    loss = add(mul(loss, scalar_like(loss, 1.0 - s)), mul(smooth, scalar_like(smooth, s / static_cast<double>(c))));
  }
  return reduce_weighted(loss, tw.total, o.reduction);
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target, CrossEntropyOptions options) {
  if (options.weight.defined()) return weighted_cross_entropy(logits, target, options);
  const Tensor loss = cross_entropy_per_sample(logits, target, options.label_smoothing, options.ignore_index);
  return reduce_class_loss(loss, target, options.ignore_index, options.reduction);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction) {
  return nll_loss(log_probs, target, NllLossOptions{.reduction = reduction});
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, NllLossOptions options) {
  const Tensor loss = nll_loss_per_sample(log_probs, target, options.ignore_index);
  if (!options.weight.defined()) return reduce_class_loss(loss, target, options.ignore_index, options.reduction);
  const TargetWeights tw =
      target_weights("nll_loss", options.weight, target, options.ignore_index, log_probs.size(1), log_probs.dtype());
  return reduce_weighted(mul(loss, tw.per_position), tw.total, options.reduction);
}

Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target, Reduction reduction) {
  return reduce(binary_cross_entropy_elementwise(probs, target), reduction);
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_float_shape("mse_loss", input, target);
  const Tensor d = sub(input, target);
  return reduce(mul(d, d), reduction);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_float_shape("l1_loss", input, target);
  return reduce(abs(sub(input, target)), reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, Reduction reduction) {
  return reduce(bce_with_logits_elementwise(logits, target), reduction);
}

}  // namespace tg::nn
