// Losses as registered ops. Each gives the unreduced loss (one value per sample or per
// element); nn/loss.hpp adds the reductions and PyTorch's signatures.
#pragma once

#include <cstdint>
#include <string_view>

#include "tensor/tensor.hpp"

namespace tg {

// The attributes of the cross_entropy op.
struct CrossEntropyAttrs {
  double label_smoothing = 0.0;
};

// logits [N, C] float, target [N] int64 in [0, C), label_smoothing s in [0, 1]. With
// q = (1 - s) onehot(t) + s / C:
//   loss_i = logsumexp_c(x_ic) - sum_c q_ic x_ic        (= -sum_c q_ic log_softmax(x)_ic)
//   d loss_i / d x_ic = softmax(x)_ic - q_ic
Tensor cross_entropy_per_sample(const Tensor& logits, const Tensor& target, double label_smoothing = 0.0);

// x, y same shape float: loss = max(x, 0) - x y + log(1 + exp(-|x|))
// (= -y log s(x) - (1 - y) log(1 - s(x)), without overflow); d/dx = sigmoid(x) - y, d/dy = -x.
Tensor bce_with_logits_elementwise(const Tensor& x, const Tensor& y);

// The (1 - smoothing) onehot(target) + smoothing / C matrix [N, C] in `dtype` (a constant).
Tensor smoothed_one_hot(const Tensor& target, std::int64_t num_classes, double smoothing, DType dtype);

// The argument check of the class-index losses, naming `op`: input [N, C] float with C > 0,
// target [N] int64 with values in [0, C). An empty batch passes.
void check_class_target(std::string_view op, const Tensor& input, const Tensor& target);
// The argument check of the elementwise losses, naming `op`: input and target of one shape,
// both floating point.
void check_same_float_shape(std::string_view op, const Tensor& input, const Tensor& target);

}  // namespace tg
