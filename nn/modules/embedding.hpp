// Embedding: a table of num_embeddings vectors of embedding_dim entries, looked up by int64
// indices: y = weight[indices] of shape indices.shape + [embedding_dim] (tg::embedding).
// PyTorch's initialisation: weight ~ N(0, 1), with the padding row zeroed; the padding row
// never receives a gradient.
#pragma once

#include <cstdint>
#include <optional>

#include "nn/modules/module.hpp"
#include "tensor/random.hpp"

namespace tg::nn {

struct EmbeddingOptions {
  std::optional<std::int64_t> padding_idx{};  // negative counts from num_embeddings
  DType dtype = DType::Float32;
};

class Embedding : public Module {
 public:
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, EmbeddingOptions options = {},
            Generator& gen = default_generator());
  Tensor forward(const Tensor& indices) override;
  std::string describe() const override;

  Tensor weight;  // [num_embeddings, embedding_dim]

  // The padding row made non-negative, if any.
  std::optional<std::int64_t> padding_idx() const { return padding_idx_; }

 private:
  std::int64_t num_embeddings_, embedding_dim_;
  std::optional<std::int64_t> padding_idx_;
};

}  // namespace tg::nn
