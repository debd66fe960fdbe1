// Normalization layers' primitives.
#pragma once

#include "tensor/tensor.hpp"

namespace tg {

// Layer normalization over the last dims of x given by normalized_shape (x's shape must end
// in it): each row r of those dims becomes (x_r - mean_r) / sqrt(var_r + eps) * weight + bias,
// with the biased variance (divided by the row size). weight and bias have
// normalized_shape and are optional (undefined: no scale, no shift).
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5);

// Batch normalization with the batch's statistics (training mode): x of shape [N, C, ...]
// becomes (x - mean_c) / sqrt(var_c + eps) * weight + bias, each channel c's mean and biased
// variance taken over the batch and the spatial dims. weight and bias have shape [C] and are
// optional. running_mean and running_var ([C], both or neither) are buffers updated in place:
// running = (1 - momentum) running + momentum * batch statistic, the variance unbiased
// (which needs more than one value per channel). Evaluation with running statistics is
// nn::functional::batch_norm's.
Tensor batch_norm(const Tensor& x, const Tensor& weight = {}, const Tensor& bias = {}, const Tensor& running_mean = {},
                  const Tensor& running_var = {}, double momentum = 0.1, double eps = 1e-5);

}  // namespace tg
