// Pooling over NCHW tensors (see docs/convolution.md).
#pragma once

#include "ops/pair2.hpp"
#include "tensor/tensor.hpp"

namespace tg {

struct Pool2dOptions {
  Pair2 kernel_size = 2;
  Pair2 stride = 0;  // 0: equal to kernel_size
  Pair2 padding = 0;
  Pair2 dilation = 1;  // max_pool2d only
  bool ceil_mode = false;
  bool count_include_pad = true;  // avg_pool2d only
};

Tensor max_pool2d(const Tensor& x, Pool2dOptions options = {});
Tensor avg_pool2d(const Tensor& x, Pool2dOptions options = {});
Tensor adaptive_avg_pool2d(const Tensor& x, Pair2 output_size);

}  // namespace tg
