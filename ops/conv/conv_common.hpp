// Shared shape rules and attributes of the convolution and pooling ops: the one place
// that validates options and computes output sizes (the pooling ops' own pieces are in
// ops/pool/pool_common.hpp).
#pragma once

#include <cstdint>
#include <string_view>

#include "ops/conv.hpp"
#include "ops/kernels/conv/conv_dispatch.hpp"
#include "ops/kernels/conv/conv_reference_loops.hpp"
#include "ops/kernels/pool/pool_loops.hpp"
#include "tensor/tensor.hpp"

namespace tg::detail {

// Attributes of the gradient maps: the forward options plus the size the map cannot infer
// (the input's H x W for conv2d_input_grad, the kernel's kH x kW for conv2d_weight_grad).
struct ConvGradAttrs {
  Conv2dOptions options;
  Pair2 size;
};

// floor((in + 2p - d(k-1) - 1) / s) + 1; the caller has checked that the kernel fits.
std::int64_t conv_out_size(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t padding,
                           std::int64_t dilation);

// The size arithmetic of convolution and pooling options, exact or ValueError naming `op`
// and the options (huge paddings, dilations or kernels must not wrap around):
// in + 2 * padding, and dilation * (kernel - 1) + 1.
std::int64_t padded_size(std::string_view op, std::int64_t in, std::int64_t padding);
std::int64_t dilated_size(std::string_view op, std::int64_t kernel, std::int64_t dilation);

// Checks ranks, dtypes, groups, options and the bias of a forward convolution
// x [N, C_in, H, W] * weight [C_out, C_in/groups, kH, kW] and returns its geometry.
kernels::ConvLoopGeometry conv2d_geometry(std::string_view op, const Tensor& x, const Tensor& weight,
                                          const Tensor& bias, const Conv2dOptions& options);

// The geometry of the forward convolution whose input is `input_shape` ([N, C_in, H, W])
// and whose output is `output_shape` (empty: computed), with a weight of `weight_shape`;
// checks that these fit together (used by the gradient maps and conv_transpose2d).
kernels::ConvLoopGeometry conv2d_geometry_from_shapes(std::string_view op, const Shape& input_shape,
                                                      const Shape& weight_shape, const Shape& output_shape,
                                                      const Conv2dOptions& options);

// The bias gradient of a convolution: dy [N, C, H, W] summed over N, H and W, as the
// planes' sums first (contiguous rows) and then over the batch, so no permuted copy of dy
// is made.
Tensor conv_bias_grad(const Tensor& dy);

// Checks that the tensors are 4-D floating point of one dtype.
void check_conv_tensor(std::string_view op, std::string_view what, const Tensor& t, std::int64_t rank = 4);
void check_same_dtype(std::string_view op, const Tensor& a, const Tensor& b);

// Throws unless every stride/dilation is >= 1, every padding >= 0 and groups >= 1.
void check_conv_options(std::string_view op, const Conv2dOptions& options);

// Pooling: validates x and the options, returns the window geometry.
kernels::PoolGeometry pool2d_geometry(std::string_view op, const Tensor& x, const Pool2dOptions& options,
                                      bool allow_dilation);
kernels::PoolGeometry pool2d_geometry_from_shape(std::string_view op, const Shape& x_shape,
                                                 const Pool2dOptions& options, bool allow_dilation);

// Adaptive pooling of an input of shape xs to an out.h x out.w output.
kernels::PoolGeometry adaptive_pool2d_geometry(std::string_view op, const Shape& xs, Pair2 out);

}  // namespace tg::detail
