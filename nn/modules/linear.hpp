// Linear: y = x W^T + b, W [out, in], b [out]. PyTorch's default initialisation:
// W ~ kaiming_uniform(a = sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)), b ~ U(-1/sqrt(in), 1/sqrt(in)).
#pragma once

#include <cstdint>

#include "nn/modules/module.hpp"
#include "tensor/random.hpp"

namespace tg::nn {

struct LinearOptions {
  bool bias = true;
  DType dtype = DType::Float32;
};

class Linear : public Module {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, LinearOptions options = {},
         Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  Tensor weight;
  Tensor bias;  // undefined without bias

 private:
  std::int64_t in_features_, out_features_;
};

// Shared by Linear and the convolutions: W ~ kaiming_uniform(a = sqrt(5)) and
// b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with fan_in taken from W.
void reset_parameters_like_pytorch(const Tensor& weight, const Tensor& bias, Generator& gen);

}  // namespace tg::nn
