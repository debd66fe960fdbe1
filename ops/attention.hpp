// Attention primitives.
#pragma once

#include <optional>

#include "tensor/tensor.hpp"

namespace tg {

struct AttentionOptions {
  // Query i may attend to keys j <= i only (top-left aligned when L != S, as PyTorch).
  bool is_causal = false;
  std::optional<double> scale{};  // default 1 / sqrt(E)
};

// out = softmax(query key^T * scale + attn_mask (+ -inf above the diagonal if causal)) value
// over the last dim, for query [..., L, E], key [..., S, E], value [..., S, Ev] with equal
// batch dims; attn_mask (optional) is an additive float mask that broadcasts to [..., L, S].
// A query row whose every key is masked (-inf) yields NaN, as PyTorch's math path does.
Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask = {}, AttentionOptions options = {});

// The additive causal mask [L, S]: 0 where j <= i, -inf above the diagonal, built with ops.
Tensor causal_attention_mask(std::int64_t l, std::int64_t s, DType dtype);

}  // namespace tg
