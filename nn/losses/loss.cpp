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

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target, CrossEntropyOptions options) {
  return reduce(cross_entropy_per_sample(logits, target, options.label_smoothing), options.reduction);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction) {
  check_class_target("nll_loss", log_probs, target);
  const Tensor onehot = smoothed_one_hot(target, log_probs.size(1), 0.0, log_probs.dtype());
  return reduce(neg(sum(mul(log_probs, onehot), {1})), reduction);
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
