#include "nn/losses/loss.hpp"

#include <string_view>

#include "nn/loss_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduction.hpp"

namespace tg::nn {

namespace {

Tensor reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::None: return loss;
    case Reduction::Sum: return sum(loss);
    case Reduction::Mean: return mean(loss);
  }
  return loss;
}

// Checks input [N, C] float and target [N] int64 with values in [0, C).
void check_class_target(std::string_view op, const Tensor& input, const Tensor& target) {
  TG_CHECK(input.dim() == 2, ShapeError, "{}: input must be [N, C], got shape {}", op, input.shape());
  TG_CHECK(input.is_floating_point(), DTypeError, "{}: input must be float32 or float64, got {}", op, input.dtype());
  TG_CHECK(target.dtype() == DType::Int64, DTypeError, "{}: target must be int64 class indices, got {}", op,
           target.dtype());
  TG_CHECK(target.dim() == 1 && target.size(0) == input.size(0), ShapeError,
           "{}: target shape {} does not match input shape {} (expected [{}])", op, target.shape(), input.shape(),
           input.size(0));
  // An empty batch is fine (its mean loss is NaN, its sum 0, as in PyTorch); no classes is not.
  TG_CHECK(input.size(1) > 0, ShapeError, "{}: input of shape {} has no classes", op, input.shape());
  const std::int64_t c = input.size(1);
  const Tensor t = raw::contiguous(target);
  const std::int64_t* p = t.data<std::int64_t>();
  for (std::int64_t i = 0; i < t.numel(); ++i)
    TG_CHECK(p[i] >= 0 && p[i] < c, IndexError, "{}: target[{}] = {} is out of range for {} classes", op, i, p[i], c);
}

void check_same_shape(std::string_view op, const Tensor& input, const Tensor& target) {
  TG_CHECK(input.shape() == target.shape(), ShapeError, "{}: input shape {} and target shape {} differ", op,
           input.shape(), target.shape());
  TG_CHECK(input.is_floating_point() && target.is_floating_point(), DTypeError,
           "{}: input and target must be floating point, got {} and {}", op, input.dtype(), target.dtype());
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target, CrossEntropyOptions options) {
  check_class_target("cross_entropy", logits, target);
  TG_CHECK(options.label_smoothing >= 0.0 && options.label_smoothing <= 1.0, ValueError,
           "cross_entropy: label_smoothing must be in [0, 1], got {}", options.label_smoothing);
  return reduce(detail::cross_entropy_per_sample(logits, target, options.label_smoothing), options.reduction);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction) {
  check_class_target("nll_loss", log_probs, target);
  const Tensor onehot = detail::smoothed_one_hot(target, log_probs.size(1), 0.0, log_probs.dtype());
  return reduce(neg(sum(mul(log_probs, onehot), {1})), reduction);
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape("mse_loss", input, target);
  const Tensor d = sub(input, target);
  return reduce(mul(d, d), reduction);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape("l1_loss", input, target);
  return reduce(abs(sub(input, target)), reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, Reduction reduction) {
  check_same_shape("binary_cross_entropy_with_logits", logits, target);
  return reduce(detail::bce_with_logits_elementwise(logits, target), reduction);
}

}  // namespace tg::nn
