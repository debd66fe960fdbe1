#include "ops/reduction/reduce_attrs.hpp"

#include <algorithm>

#include "ops/shape_ops.hpp"

namespace tg::detail {

Tensor expand_reduced_grad(const Tensor& g, const Shape& input_shape, const ReduceAttrs& attrs) {
  // The dims were validated by the forward; wrapping them again cannot fail.
  const auto dims = wrap_dims(attrs.dims, static_cast<std::int64_t>(input_shape.size()), "reduction backward");
  return expand(reshape(g, reduced_shape(input_shape, dims, true)), input_shape);
}

Tensor unpermute_rows(const Tensor& rows, const Shape& input_shape, const std::vector<std::int64_t>& dims) {
  std::vector<std::int64_t> order;
  for (std::int64_t d = 0; d < static_cast<std::int64_t>(input_shape.size()); ++d) {
    if (std::find(dims.begin(), dims.end(), d) == dims.end()) order.push_back(d);
  }
  order.insert(order.end(), dims.begin(), dims.end());
  Shape permuted;
  for (auto d : order) permuted.push_back(input_shape[d]);
  const Strides permuted_strides = contiguous_strides(permuted);
  Strides strides(input_shape.size());
  for (std::size_t i = 0; i < order.size(); ++i) strides[order[i]] = permuted_strides[i];
  return raw::as_strided(rows, input_shape, strides, rows.offset());
}

void check_nonempty_reduction(std::string_view op, const Shape& shape, const std::vector<std::int64_t>& dims) {
  std::int64_t block = 1;
  for (auto d : dims) block *= shape[d];
  if (dims.empty()) block = numel(shape);
  TG_CHECK(block > 0, ValueError, "{}: cannot reduce an empty block (input shape {}, dims {}): there is no identity",
           op, shape, dims);
}

}  // namespace tg::detail
