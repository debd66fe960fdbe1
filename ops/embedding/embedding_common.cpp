#include "ops/embedding/embedding_common.hpp"

namespace tg::detail {

std::optional<std::int64_t> wrap_padding_idx(std::string_view op, std::optional<std::int64_t> padding_idx,
                                             std::int64_t num_weights) {
  if (!padding_idx) return std::nullopt;
  const std::int64_t p = *padding_idx;
  TG_CHECK(p >= -num_weights && p < num_weights, IndexError,
           "{}: padding_idx {} is out of range for {} embeddings (must be in [-{}, {}))", op, p, num_weights,
           num_weights, num_weights);
  return p < 0 ? p + num_weights : p;
}

void check_embedding_indices(std::string_view op, const Tensor& indices, std::int64_t num_weights) {
  TG_CHECK(indices.dtype() == DType::Int64, DTypeError, "{}: indices must be int64, got {}", op, indices.dtype());
  const Tensor t = raw::contiguous(indices);
  const std::int64_t* p = t.data<std::int64_t>();
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    TG_CHECK(p[i] >= 0 && p[i] < num_weights, IndexError,
             "{}: index {} (at flat position {} of indices {}) is out of range for {} embeddings", op, p[i], i,
             indices.shape(), num_weights);
  }
}

Tensor padding_row_keep_mask(std::int64_t num_weights, std::int64_t padding_row, DType dtype) {
  Tensor keep = ones({num_weights, 1}, {.dtype = DType::Float64});
  keep.data<double>()[padding_row] = 0.0;
  return dtype == DType::Float64 ? keep : keep.clone_as(dtype);
}

}  // namespace tg::detail
