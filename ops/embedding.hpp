// Embedding lookups: rows of a weight table picked by integer indices (PyTorch's
// F.embedding), and the scatter-add that is their gradient.
#pragma once

#include <cstdint>
#include <optional>

#include "tensor/tensor.hpp"

namespace tg {

// The attributes of the embedding op: the row whose gradient is always zero (PyTorch's
// padding_idx; negative counts from the number of rows).
struct EmbeddingAttrs {
  std::optional<std::int64_t> padding_idx{};
};

// The attributes of the embedding_backward op: the rows of the weight, and its padding row.
struct EmbeddingBackwardAttrs {
  std::int64_t num_weights = 0;
  std::optional<std::int64_t> padding_idx{};
};

// indices int64 of any shape, weight [V, D] float: y[..., :] = weight[indices[...], :], of
// shape indices.shape + [D]. IndexError for an index outside [0, V) or a padding_idx outside
// [-V, V). The gradient of weight is embedding_backward(g, indices, V, padding_idx): row
// padding_idx gets none (its value is still looked up).
Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<std::int64_t> padding_idx = std::nullopt);

// grad [..., D] (indices.shape + [D]), indices int64: dW [V, D] with
//   dW[v] = sum over positions i with indices[i] == v of grad[i]   (in the order of i)
// and dW[padding_idx] = 0. The same bits for any number of threads.
Tensor embedding_backward(const Tensor& grad, const Tensor& indices, std::int64_t num_weights,
                          std::optional<std::int64_t> padding_idx = std::nullopt);

}  // namespace tg
