#include "ops/loss/class_targets.hpp"

#include <numeric>
#include <vector>

#include "ops/compose.hpp"
#include "ops/elementwise.hpp"
#include "ops/shape_ops.hpp"

namespace tg::detail {

Tensor class_rows(const Tensor& input) {
  if (input.dim() == 2) return raw::contiguous(input);
  // Move dim 1 last: a strided view [N, d1, ..., C], then copied to be contiguous.
  Shape shape = input.shape();
  Strides strides = input.strides();
  const std::int64_t c = shape[1], c_stride = strides[1];
  shape.erase(shape.begin() + 1);
  strides.erase(strides.begin() + 1);
  shape.push_back(c);
  strides.push_back(c_stride);
  const Tensor rows = raw::contiguous(raw::as_strided(input, shape, strides, input.offset()));
  return raw::as_strided(rows, {input.numel() / c, c}, {c, 1}, rows.offset());
}

Tensor one_hot_at_dim1(const Tensor& target, std::int64_t num_classes, double smoothing, std::int64_t ignore_index,
                       DType dtype) {
  const Tensor kept = cast(ne(target, scalar_like(target, static_cast<double>(ignore_index))), dtype);
  const Tensor q = (compose::one_hot(target, num_classes, dtype) * (1.0 - smoothing) +
                    smoothing / static_cast<double>(num_classes)) *
                   unsqueeze(kept, -1);
  // one_hot puts the classes last: [N, d1, ..., C] -> [N, C, d1, ...].
  std::vector<std::int64_t> dims(static_cast<std::size_t>(q.dim()));
  std::iota(dims.begin(), dims.end(), std::int64_t{-1});
  dims[0] = 0;
  dims[1] = q.dim() - 1;
  return permute(q, dims);
}

}  // namespace tg::detail
