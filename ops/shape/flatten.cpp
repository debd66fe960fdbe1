// flatten: merges dims start_dim..end_dim into one; a reshape, so a view when the strides
// allow it. A 0-d tensor flattens to shape [1], as in PyTorch.
#include "ops/shape_ops.hpp"

namespace tg {

Tensor flatten(const Tensor& x, std::int64_t start_dim, std::int64_t end_dim) {
  if (x.dim() == 0) {
    (void)wrap_dim(start_dim, 0, "flatten");
    (void)wrap_dim(end_dim, 0, "flatten");
    return reshape(x, {1});
  }
  const std::int64_t start = wrap_dim(start_dim, x.dim(), "flatten");
  const std::int64_t end = wrap_dim(end_dim, x.dim(), "flatten");
  TG_CHECK(start <= end, IndexError, "flatten: start_dim {} comes after end_dim {} for shape {}", start_dim, end_dim,
           x.shape());
  Shape shape(x.shape().begin(), x.shape().begin() + start);
  std::int64_t merged = 1;
  for (std::int64_t d = start; d <= end; ++d) merged *= x.size(d);
  shape.push_back(merged);
  shape.insert(shape.end(), x.shape().begin() + end + 1, x.shape().end());
  return reshape(x, shape);
}

}  // namespace tg
