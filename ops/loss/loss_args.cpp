// The argument checks of the losses, shared by the loss ops and nn's losses, and the
// (smoothed) one-hot tensor of class-index targets.
#include "ops/loss.hpp"

namespace tg {

namespace {

// Class-index losses take input [N, C, d1, ...] and target [N, d1, ...]: the target's shape
// is the input's without dim 1.
Shape target_shape_of(const Shape& input) {
  Shape t = input;
  t.erase(t.begin() + 1);
  return t;
}

}  // namespace

void check_class_target(std::string_view op, const Tensor& input, const Tensor& target,
                        std::optional<std::int64_t> ignore_index) {
  TG_CHECK(input.dim() >= 2, ShapeError, "{}: input must be [N, C] or [N, C, d1, ...], got shape {}", op,
           input.shape());
  TG_CHECK(input.is_floating_point(), DTypeError, "{}: input must be float32 or float64, got {}", op, input.dtype());
  TG_CHECK(target.dtype() == DType::Int64, DTypeError, "{}: target must be int64 class indices, got {}", op,
           target.dtype());
  TG_CHECK(target.shape() == target_shape_of(input.shape()), ShapeError,
           "{}: target shape {} does not match input shape {} (expected {})", op, target.shape(), input.shape(),
           target_shape_of(input.shape()));
  // An empty batch is fine (its mean loss is NaN, its sum 0, as in PyTorch); no classes is not.
  TG_CHECK(input.size(1) > 0, ShapeError, "{}: input of shape {} has no classes", op, input.shape());
  const std::int64_t c = input.size(1);
  const Tensor t = raw::contiguous(target);
  const std::int64_t* p = t.data<std::int64_t>();
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    TG_CHECK((p[i] >= 0 && p[i] < c) || p[i] == ignore_index, IndexError,
             "{}: target[{}] = {} is out of range for {} classes", op, i, p[i], c);
  }
}

void check_same_float_shape(std::string_view op, const Tensor& input, const Tensor& target) {
  TG_CHECK(input.shape() == target.shape(), ShapeError, "{}: input shape {} and target shape {} differ", op,
           input.shape(), target.shape());
  TG_CHECK(input.is_floating_point() && target.is_floating_point(), DTypeError,
           "{}: input and target must be floating point, got {} and {}", op, input.dtype(), target.dtype());
}

Tensor smoothed_one_hot(const Tensor& target, std::int64_t num_classes, double smoothing, DType dtype,
                        std::optional<std::int64_t> ignore_index) {
  const Tensor t = raw::contiguous(target);
  // q[n, c, k] for target [N, K...]: classes at dim 1, the trailing dims flattened to k.
  const std::int64_t n = t.dim() == 0 ? 1 : t.size(0);
  const std::int64_t inner = n == 0 ? 0 : t.numel() / n;
  Shape shape = t.shape();
  shape.insert(shape.begin() + (t.dim() == 0 ? 0 : 1), num_classes);
  Tensor q = full(shape, smoothing / static_cast<double>(num_classes), {.dtype = DType::Float64});
  double* pq = q.data<double>();
  const std::int64_t* pt = t.data<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t k = 0; k < inner; ++k) {
      const std::int64_t label = pt[i * inner + k];
      double* column = pq + i * num_classes * inner + k;
      if (label == ignore_index) {
        for (std::int64_t c = 0; c < num_classes; ++c) column[c * inner] = 0.0;
      } else {
        column[label * inner] += 1.0 - smoothing;
      }
    }
  }
  return dtype == DType::Float64 ? q : q.clone_as(dtype);
}

std::int64_t count_not_ignored(const Tensor& target, std::int64_t ignore_index) {
  const Tensor t = raw::contiguous(target);
  const std::int64_t* p = t.data<std::int64_t>();
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < t.numel(); ++i) count += p[i] != ignore_index ? 1 : 0;
  return count;
}

}  // namespace tg
