#include "nn/modules/embedding.hpp"

#include <fmt/format.h>

#include "nn/modules/init.hpp"
#include "ops/embedding.hpp"

namespace tg::nn {

Embedding::Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, EmbeddingOptions options, Generator& gen)
    : Module("Embedding"), num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {
  TG_CHECK(num_embeddings > 0 && embedding_dim > 0, ValueError,
           "Embedding: num_embeddings and embedding_dim must be positive, got {} and {}", num_embeddings,
           embedding_dim);
  if (options.padding_idx) {
    const std::int64_t p = *options.padding_idx;
    TG_CHECK(p >= -num_embeddings && p < num_embeddings, IndexError,
             "Embedding: padding_idx {} is out of range for {} embeddings", p, num_embeddings);
    padding_idx_ = p < 0 ? p + num_embeddings : p;
  }
  weight = register_parameter("weight", empty({num_embeddings, embedding_dim}, {.dtype = options.dtype}));
  init::normal_(weight, 0.0, 1.0, gen);
  if (padding_idx_) {
    // The padding row starts at zero (and, receiving no gradient, stays there).
    init::zeros_(raw::as_strided(weight, {embedding_dim}, {1}, weight.offset() + *padding_idx_ * embedding_dim));
  }
}

Tensor Embedding::forward(const Tensor& indices) { return embedding(indices, weight, padding_idx_); }

std::string Embedding::describe() const {
  return padding_idx_ ? fmt::format("Embedding({}, {}, padding_idx={})", num_embeddings_, embedding_dim_, *padding_idx_)
                      : fmt::format("Embedding({}, {})", num_embeddings_, embedding_dim_);
}

}  // namespace tg::nn
