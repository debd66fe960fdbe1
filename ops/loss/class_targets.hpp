// Shared by the class-index loss ops (cross_entropy, nll_loss): the layout of input
// [N, C, d1, ...] as rows of classes, and the one-hot targets their reference compositions use.
#pragma once

#include <cstdint>

#include "tensor/tensor.hpp"

namespace tg::detail {

// The classes of input [N, C, d1, ...] as contiguous rows [N * d1 * ..., C] (row i is
// position i of the target, in row-major order): `input` itself (contiguous) for [N, C],
// a relaid-out copy otherwise. Not recorded.
Tensor class_rows(const Tensor& input);

// (1 - smoothing) onehot(target) + smoothing / C, zero where target == ignore_index, with
// the classes at dim 1 ([N, d1, ...] -> [N, C, d1, ...]), composed of registered ops only.
Tensor one_hot_at_dim1(const Tensor& target, std::int64_t num_classes, double smoothing, std::int64_t ignore_index,
                       DType dtype);

}  // namespace tg::detail
