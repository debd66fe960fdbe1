// Shared by the embedding ops: checks of indices and padding_idx, and the padding row mask.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "tensor/tensor.hpp"

namespace tg::detail {

// padding_idx in [-V, V) made non-negative (negative counts from V, as PyTorch); IndexError
// naming `op` otherwise.
std::optional<std::int64_t> wrap_padding_idx(std::string_view op, std::optional<std::int64_t> padding_idx,
                                             std::int64_t num_weights);

// Checks that `indices` is int64 with every value in [0, num_weights); IndexError names `op`,
// the position and the value.
void check_embedding_indices(std::string_view op, const Tensor& indices, std::int64_t num_weights);

// [V, 1] in `dtype`: 1, but 0 in the (wrapped) padding row; a constant.
Tensor padding_row_keep_mask(std::int64_t num_weights, std::int64_t padding_row, DType dtype);

}  // namespace tg::detail
