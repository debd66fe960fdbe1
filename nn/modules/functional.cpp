#include "nn/modules/functional.hpp"

#include "autograd/grad_mode.hpp"
#include "ops/elementwise.hpp"
#include "ops/normalization.hpp"
#include "ops/reduction.hpp"
#include "ops/shape_ops.hpp"

namespace tg::nn::functional {

Tensor leaky_relu(const Tensor& x, double negative_slope) { return tg::leaky_relu(x, negative_slope); }

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  TG_CHECK(p >= 0.0 && p <= 1.0, ValueError, "dropout: p must be in [0, 1], got {}", p);
  if (!training || p == 0.0) return x;
  if (p == 1.0) return mul(x, zeros_like(x));
  TG_CHECK(x.is_floating_point(), DTypeError, "dropout: input must be floating point, got {}", x.dtype());
  Tensor mask = empty(x.shape(), {.dtype = DType::Float64});
  double* m = mask.data<double>();
  const double keep_scale = 1.0 / (1.0 - p);
  for (std::int64_t i = 0; i < mask.numel(); ++i) m[i] = gen.uniform() < p ? 0.0 : keep_scale;
  return mul(x, x.dtype() == DType::Float64 ? mask : mask.clone_as(x.dtype()));
}

Tensor flatten(const Tensor& x, std::int64_t start_dim, std::int64_t end_dim) {
  const std::int64_t d = x.dim();
  const std::int64_t s = start_dim < 0 ? start_dim + d : start_dim;
  const std::int64_t e = end_dim < 0 ? end_dim + d : end_dim;
  TG_CHECK(s >= 0 && e < d && s <= e, IndexError, "flatten: dims [{}, {}] out of range for shape {}", start_dim,
           end_dim, x.shape());
  Shape shape(x.shape().begin(), x.shape().begin() + s);
  std::int64_t n = 1;
  for (std::int64_t i = s; i <= e; ++i) n *= x.size(i);
  shape.push_back(n);
  shape.insert(shape.end(), x.shape().begin() + e + 1, x.shape().end());
  return reshape(x, shape);
}

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, BatchNormOptions options) {
  TG_CHECK(x.dim() >= 2, ShapeError, "batch_norm: input must have >= 2 dims, got shape {}", x.shape());
  const std::int64_t c = x.size(1);
  for (const Tensor* t : {&running_mean, &running_var, &weight, &bias})
    TG_CHECK(!t->defined() || t->shape() == Shape{c}, ShapeError,
             "batch_norm: per-channel tensors must have shape [{}] for input {}, got {}", c, x.shape(), t->shape());
  Shape channel_shape(static_cast<std::size_t>(x.dim()), 1);
  channel_shape[1] = c;
  const std::int64_t count = c == 0 ? 0 : x.numel() / c;

  if (training) {
    TG_CHECK(count > 1, ValueError, "batch_norm: need more than 1 value per channel when training, got shape {}",
             x.shape());
    // One fused op: statistics, normalization, affine map and the running statistics' update.
    return tg::batch_norm(x, weight, bias, running_mean, running_var, options.momentum, options.eps);
  }
  TG_CHECK(running_mean.defined() && running_var.defined(), ValueError,
           "batch_norm: evaluation needs running statistics");
  // An affine map per channel, y = x * scale + shift with scale = weight / sqrt(running_var +
  // eps) and shift = bias - running_mean * scale: the ops on [C] tensors, two on x.
  const Tensor rm = running_mean.detach().clone_as(x.dtype());
  const Tensor rv = running_var.detach().clone_as(x.dtype());
  Tensor scale = div(ones_like(rv), sqrt(add(rv, scalar_like(rv, options.eps))));
  if (weight.defined()) scale = mul(scale, weight);
  Tensor shift = neg(mul(rm, scale));
  if (bias.defined()) shift = add(shift, bias);
  return add(mul(x, reshape(scale, channel_shape)), reshape(shift, channel_shape));
}

}  // namespace tg::nn::functional
