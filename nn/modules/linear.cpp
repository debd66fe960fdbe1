#include "nn/modules/linear.hpp"

#include <fmt/format.h>

#include <cmath>

#include "nn/modules/init.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/shape_ops.hpp"

namespace tg::nn {

void reset_parameters_like_pytorch(const Tensor& weight, const Tensor& bias, Generator& gen) {
  init::kaiming_uniform_(weight, {.a = std::sqrt(5.0)}, gen);
  if (bias.defined()) {
    const auto fan_in = init::fan_in_and_fan_out(weight).first;
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound, gen);
  }
}

Linear::Linear(std::int64_t in_features, std::int64_t out_features, LinearOptions options, Generator& gen)
    : Module("Linear"), in_features_(in_features), out_features_(out_features) {
  TG_CHECK(in_features > 0 && out_features > 0, ValueError, "Linear: features must be positive, got in={} out={}",
           in_features, out_features);
  weight = register_parameter("weight", empty({out_features, in_features}, {.dtype = options.dtype}));
  if (options.bias) bias = register_parameter("bias", empty({out_features}, {.dtype = options.dtype}));
  reset_parameters_like_pytorch(weight, bias, gen);
}

Tensor Linear::forward(const Tensor& x) {
  TG_CHECK(x.dim() >= 1 && x.size(-1) == in_features_, ShapeError,
           "Linear: input shape {} does not end in in_features = {}", x.shape(), in_features_);
  // Leading dims fold into the rows of one matrix: a [B, T, in] input is one GEMM, and so is
  // the weight's gradient (a broadcast matmul would reduce B products).
  if (x.dim() > 2) {
    Shape out_shape = x.shape();
    out_shape.back() = out_features_;
    return reshape(forward(reshape(x, {-1, in_features_})), out_shape);
  }
  Tensor y = matmul(x, transpose(weight, 0, 1));
  return bias.defined() ? add(y, bias) : y;
}

std::string Linear::describe() const {
  return fmt::format("Linear(in_features={}, out_features={}, bias={})", in_features_, out_features_, bias.defined());
}

}  // namespace tg::nn
