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

}  // namespace tg
