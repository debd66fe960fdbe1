// LayerNorm: tg::layer_norm over the last dims given by normalized_shape, with a learned
// elementwise scale "weight" (ones) and shift "bias" (zeros), as PyTorch's nn.LayerNorm.
#pragma once

#include "nn/modules/module.hpp"

namespace tg::nn {

struct LayerNormOptions {
  double eps = 1e-5;
  bool elementwise_affine = true;  // false: no weight and bias
  DType dtype = DType::Float32;
};

class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, LayerNormOptions options = {});
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  Tensor weight;  // undefined without elementwise_affine
  Tensor bias;

 private:
  Shape normalized_shape_;
  LayerNormOptions options_;
};

}  // namespace tg::nn
