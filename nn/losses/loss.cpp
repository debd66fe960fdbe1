#include "nn/losses/loss.hpp"

#include "ops/elementwise.hpp"
#include "ops/loss.hpp"
#include "ops/reduction.hpp"

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

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target, CrossEntropyOptions options) {
  const Tensor loss = cross_entropy_per_sample(logits, target, options.label_smoothing, options.ignore_index);
  return reduce_class_loss(loss, target, options.ignore_index, options.reduction);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction) {
  return nll_loss(log_probs, target, NllLossOptions{.reduction = reduction});
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, NllLossOptions options) {
  const Tensor loss = nll_loss_per_sample(log_probs, target, options.ignore_index);
  return reduce_class_loss(loss, target, options.ignore_index, options.reduction);
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
