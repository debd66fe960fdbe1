// Drawing the next token from a language model's logits: temperature and top-k, as
// generation loops in PyTorch do, with tapegrad's seedable Generator.
#pragma once

#include <cstdint>

#include "tensor/random.hpp"
#include "tensor/tensor.hpp"

namespace tg::nn {

struct SamplingOptions {
  double temperature = 1.0;  // 0: always the most likely token (greedy)
  std::int64_t top_k = 0;    // draw among the k most likely tokens only; 0: all
};

// One token id drawn from softmax(logits / temperature) restricted to the top_k largest
// logits (ties broken toward the lower id). logits: 1-D float [V], V > 0. ValueError for a
// negative temperature or top_k, or a non-finite logit.
std::int64_t sample_token(const Tensor& logits, SamplingOptions options, Generator& gen);

}  // namespace tg::nn
