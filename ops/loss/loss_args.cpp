// The argument checks of the losses, shared by the loss ops and nn's losses, and the
// (smoothed) one-hot matrix of class-index targets.
#include "ops/loss.hpp"

namespace tg {

void check_class_target(std::string_view op, const Tensor& input, const Tensor& target) {
  TG_CHECK(input.dim() == 2, ShapeError, "{}: input must be [N, C], got shape {}", op, input.shape());
  TG_CHECK(input.is_floating_point(), DTypeError, "{}: input must be float32 or float64, got {}", op, input.dtype());
  TG_CHECK(target.dtype() == DType::Int64, DTypeError, "{}: target must be int64 class indices, got {}", op,
           target.dtype());
  TG_CHECK(target.dim() == 1 && target.size(0) == input.size(0), ShapeError,
           "{}: target shape {} does not match input shape {} (expected [{}])", op, target.shape(), input.shape(),
           input.size(0));
  // An empty batch is fine (its mean loss is NaN, its sum 0, as in PyTorch); no classes is not.
  TG_CHECK(input.size(1) > 0, ShapeError, "{}: input of shape {} has no classes", op, input.shape());
  const std::int64_t c = input.size(1);
  const Tensor t = raw::contiguous(target);
  const std::int64_t* p = t.data<std::int64_t>();
  for (std::int64_t i = 0; i < t.numel(); ++i)
    TG_CHECK(p[i] >= 0 && p[i] < c, IndexError, "{}: target[{}] = {} is out of range for {} classes", op, i, p[i], c);
}

void check_same_float_shape(std::string_view op, const Tensor& input, const Tensor& target) {
  TG_CHECK(input.shape() == target.shape(), ShapeError, "{}: input shape {} and target shape {} differ", op,
           input.shape(), target.shape());
  TG_CHECK(input.is_floating_point() && target.is_floating_point(), DTypeError,
           "{}: input and target must be floating point, got {} and {}", op, input.dtype(), target.dtype());
}

Tensor smoothed_one_hot(const Tensor& target, std::int64_t num_classes, double smoothing, DType dtype) {
  const Tensor t = raw::contiguous(target);
  const std::int64_t n = t.numel();
  Tensor q = full({n, num_classes}, smoothing / static_cast<double>(num_classes), {.dtype = DType::Float64});
  double* pq = q.data<double>();
  const std::int64_t* pt = t.data<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) pq[i * num_classes + pt[i]] += 1.0 - smoothing;
  return dtype == DType::Float64 ? q : q.clone_as(dtype);
}

}  // namespace tg
