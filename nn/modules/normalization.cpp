#include "nn/modules/normalization.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ops/normalization.hpp"

namespace tg::nn {

LayerNorm::LayerNorm(Shape normalized_shape, LayerNormOptions options)
    : Module("LayerNorm"), normalized_shape_(std::move(normalized_shape)), options_(options) {
  TG_CHECK(!normalized_shape_.empty(), ShapeError, "LayerNorm: normalized_shape must have at least one dim");
  for (std::int64_t d : normalized_shape_) {
    TG_CHECK(d > 0, ShapeError, "LayerNorm: normalized_shape {} must have positive dims", normalized_shape_);
  }
  TG_CHECK(options.eps >= 0.0, ValueError, "LayerNorm: eps must be non-negative, got {}", options.eps);
  if (options.elementwise_affine) {
    weight = register_parameter("weight", ones(normalized_shape_, {.dtype = options.dtype}));
    bias = register_parameter("bias", zeros(normalized_shape_, {.dtype = options.dtype}));
  }
}

Tensor LayerNorm::forward(const Tensor& x) { return layer_norm(x, normalized_shape_, weight, bias, options_.eps); }

std::string LayerNorm::describe() const {
  return fmt::format("LayerNorm(normalized_shape=[{}], eps={}, elementwise_affine={})",
                     fmt::join(normalized_shape_, ", "), options_.eps, options_.elementwise_affine);
}

}  // namespace tg::nn
