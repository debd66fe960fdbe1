// What the pooling ops share beyond the shape rules of ops/conv/conv_common.hpp: the
// attributes of the gradient maps and the index maps behind max_pool2d's backward.
#pragma once

#include "ops/conv/conv_common.hpp"
#include "ops/pool.hpp"
#include "tensor/tensor.hpp"

namespace tg::detail {

struct PoolGradAttrs {
  Pool2dOptions options;
  Pair2 input_size;
};

// max_pool2d's values and arg-max indices (flat r*W + q within each plane, -1 for a window
// without input elements), unrecorded.
struct MaxPoolResult {
  Tensor values;   // [N, C, Ho, Wo]
  Tensor indices;  // int64, same shape
};
MaxPoolResult max_pool2d_with_indices(std::string_view op, const Tensor& x, const Pool2dOptions& options);

// The two index maps behind max_pool2d's backward (mutual adjoints, both differentiable):
// scatter: dx [N, C, H, W] with dx[plane, indices] += g;   select: y = x[plane, indices].
Tensor max_pool2d_scatter(const Tensor& grad, const Tensor& indices, Pair2 input_size);
Tensor max_pool2d_select(const Tensor& x, const Tensor& indices);

// The adjoints of avg_pool2d and adaptive_avg_pool2d (ops, so they can be differentiated).
Tensor avg_pool2d_backward(const Tensor& grad, Pair2 input_size, const Pool2dOptions& options);
Tensor adaptive_avg_pool2d_backward(const Tensor& grad, Pair2 input_size);

}  // namespace tg::detail
