// Functional forms of the layers that are compositions of ops (no parameters of their own).
#pragma once

#include <cstdint>

#include "tensor/random.hpp"
#include "tensor/tensor.hpp"

namespace tg::nn::functional {

// x where x > 0, slope * x elsewhere (gradient `slope` at 0, as PyTorch).
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
// Training: zeroes each element with probability p (mask drawn from gen) and scales the
// rest by 1 / (1 - p). Not training: x unchanged.
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen);
// x [N, C, ...] -> [N, C * ...] keeping dims before start_dim.
Tensor flatten(const Tensor& x, std::int64_t start_dim = 1, std::int64_t end_dim = -1);

struct BatchNormOptions {
  double momentum = 0.1;
  double eps = 1e-5;
};
// Normalises over every dim but 1. Training: uses the batch statistics (biased variance)
// and updates running_mean / running_var in place (unbiased variance), as PyTorch.
// Not training: uses the running statistics. weight / bias may be undefined.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, BatchNormOptions options = {});

}  // namespace tg::nn::functional
