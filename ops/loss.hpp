// Losses as registered ops. Each gives the unreduced loss (one value per sample or per
// element); nn/loss.hpp adds the reductions and PyTorch's signatures.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "tensor/tensor.hpp"

namespace tg {

// The attributes of the cross_entropy op.
struct CrossEntropyAttrs {
  double label_smoothing = 0.0;
  std::int64_t ignore_index = -100;  // targets equal to it give loss 0 and no gradient
};

// logits [N, C] or [N, C, d1, ...] float, target [N] or [N, d1, ...] int64 in [0, C) or
// equal to ignore_index, label_smoothing s in [0, 1]. Over the classes c (dim 1) of each
// position i, with q = (1 - s) onehot(t) + s / C:
//   loss_i = logsumexp_c(x_ic) - sum_c q_ic x_ic        (= -sum_c q_ic log_softmax(x)_ic)
//   d loss_i / d x_ic = softmax(x)_ic - q_ic
// and loss_i = 0, with zero gradient, where t_i == ignore_index. The result has the target's shape.
Tensor cross_entropy_per_sample(const Tensor& logits, const Tensor& target, double label_smoothing = 0.0,
                                std::int64_t ignore_index = -100);

// The attributes of the nll_loss op.
struct NllLossAttrs {
  std::int64_t ignore_index = -100;
};

// log_probs [N, C] or [N, C, d1, ...] float, target [N] or [N, d1, ...] int64 in [0, C) or
// ignore_index: loss_i = -log_probs[i, t_i] (0 where t_i == ignore_index), of the target's
// shape. d loss_i / d log_probs_ic = -onehot(t_i)_c.
Tensor nll_loss_per_sample(const Tensor& log_probs, const Tensor& target, std::int64_t ignore_index = -100);

// p, y same shape float, p in [0, 1] (ValueError outside), each log clamped at -100 as PyTorch:
//   loss = -(y max(log p, -100) + (1 - y) max(log(1 - p), -100))
//   d/dp = (p - y) / max(p (1 - p), 1e-12),  d/dy = max(log(1 - p), -100) - max(log p, -100).
Tensor binary_cross_entropy_elementwise(const Tensor& p, const Tensor& y);

// x, y same shape float: loss = max(x, 0) - x y + log(1 + exp(-|x|))
// (= -y log s(x) - (1 - y) log(1 - s(x)), without overflow); d/dx = sigmoid(x) - y, d/dy = -x.
Tensor bce_with_logits_elementwise(const Tensor& x, const Tensor& y);

// The (1 - smoothing) onehot(target) + smoothing / C tensor in `dtype` (a constant): target
// [N, d1, ...] gives [N, C, d1, ...] (classes at dim 1), and positions whose target equals
// ignore_index get zeros over all classes.
Tensor smoothed_one_hot(const Tensor& target, std::int64_t num_classes, double smoothing, DType dtype,
                        std::optional<std::int64_t> ignore_index = std::nullopt);
// The number of target entries not equal to ignore_index (what a mean over a class-index
// loss divides by, as PyTorch).
std::int64_t count_not_ignored(const Tensor& target, std::int64_t ignore_index);

// The argument check of the class-index losses, naming `op`: input [N, C, d1, ...] float with
// C > 0, target [N, d1, ...] int64 with values in [0, C) or equal to ignore_index. An empty
// batch passes.
void check_class_target(std::string_view op, const Tensor& input, const Tensor& target,
                        std::optional<std::int64_t> ignore_index = std::nullopt);
// The argument check of the elementwise losses, naming `op`: input and target of one shape,
// both floating point.
void check_same_float_shape(std::string_view op, const Tensor& input, const Tensor& target);

}  // namespace tg
