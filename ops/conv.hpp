// Convolution over NCHW (and NCL) tensors (see docs/convolution.md); pooling is in
// ops/pool.hpp, included here.
#pragma once

#include <cstdint>

#include "ops/pair2.hpp"
#include "ops/pool.hpp"
#include "tensor/tensor.hpp"

namespace tg {

struct Conv2dOptions {
  Pair2 stride = 1;
  Pair2 padding = 0;
  Pair2 dilation = 1;
  std::int64_t groups = 1;
};

// x [N, C_in, H, W], weight [C_out, C_in/groups, kH, kW], bias [C_out] or undefined.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), Conv2dOptions options = {});

// The two linear maps behind conv2d's backward, as differentiable ops (docs/convolution.md).
// Input gradient (the ROT180 rule): dx [N, C_in, H, W] for input_size = (H, W), from the
// output gradient dy [N, C_out, Ho, Wo] of conv2d(x, weight, options).
Tensor conv2d_input_grad(const Tensor& grad_output, const Tensor& weight, Pair2 input_size, Conv2dOptions options = {});
// Weight gradient: dw [C_out, C_in/groups, kH, kW] for kernel_size = (kH, kW), summed over the batch.
Tensor conv2d_weight_grad(const Tensor& x, const Tensor& grad_output, Pair2 kernel_size, Conv2dOptions options = {});

struct Conv1dOptions {
  std::int64_t stride = 1;
  std::int64_t padding = 0;
  std::int64_t dilation = 1;
  std::int64_t groups = 1;
};

// x [N, C_in, L], weight [C_out, C_in/groups, K], bias [C_out] or undefined: conv2d over a
// height of 1 (the same kernels, checks and gradients).
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), Conv1dOptions options = {});

struct ConvTranspose2dOptions {
  Pair2 stride = 1;
  Pair2 padding = 0;
  Pair2 output_padding = 0;
  Pair2 dilation = 1;
  std::int64_t groups = 1;
};

// x [N, C_in, H, W], weight [C_in, C_out/groups, kH, kW], bias [C_out] or undefined.
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
                        ConvTranspose2dOptions options = {});

}  // namespace tg
