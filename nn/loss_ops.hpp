// Fused, numerically stable loss kernels used by nn/loss.cpp. Both return the unreduced
// per-sample loss; reduction is applied by the caller with ordinary ops.
#pragma once

#include "tensor/tensor.hpp"

namespace tg::nn::detail {

// logits [N, C] float, target [N] int64 in [0, C). With q = (1 - s) onehot(t) + s / C:
//   loss_i = logsumexp_c(x_ic) - sum_c q_ic x_ic        (= -sum_c q_ic log_softmax(x)_ic)
//   d loss_i / d x_ic = softmax(x)_ic - q_ic
Tensor cross_entropy_per_sample(const Tensor& logits, const Tensor& target, double label_smoothing);

// x, y same shape float: loss = max(x, 0) - x y + log(1 + exp(-|x|))  (= -y log s(x) - (1-y) log(1-s(x)))
//   d/dx = sigmoid(x) - y,  d/dy = -x
Tensor bce_with_logits_elementwise(const Tensor& x, const Tensor& y);

// The (1 - s) onehot(t) + s / C matrix [N, C] in `dtype` (a constant).
Tensor smoothed_one_hot(const Tensor& target, std::int64_t num_classes, double smoothing, DType dtype);

}  // namespace tg::nn::detail
