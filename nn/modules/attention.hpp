// MultiheadAttention, batch first: query [B, L, E], key and value [B, S, E]. As PyTorch's
// nn.MultiheadAttention (with kdim = vdim = embed_dim): parameters in_proj_weight [3E, E]
// (rows: the query, key and value projections), in_proj_bias [3E], out_proj.weight [E, E]
// and out_proj.bias [E]; in_proj_weight xavier_uniform, the biases zero, out_proj.weight as
// a Linear's. Heads are split by reshape / permute views that the attention kernel reads
// through their strides.
#pragma once

#include <cstdint>
#include <memory>

#include "nn/modules/linear.hpp"
#include "nn/modules/module.hpp"
#include "tensor/random.hpp"

namespace tg::nn {

struct MultiheadAttentionOptions {
  bool bias = true;
  double dropout = 0.0;  // on the attention weights, while training
  DType dtype = DType::Float32;
};

// The masks of one attention call, as PyTorch takes them; combined into one additive mask.
struct AttentionMasks {
  // [B, S] bool, true = ignore that key (or an additive float mask of that shape).
  Tensor key_padding_mask{};
  // [L, S] or [B * num_heads, L, S]: bool, true = not allowed, or an additive float mask.
  Tensor attn_mask{};
  bool is_causal = false;  // query i attends to keys j <= i only
};

class MultiheadAttention : public Module {
 public:
  MultiheadAttention(std::int64_t embed_dim, std::int64_t num_heads, MultiheadAttentionOptions options = {},
                     Generator& gen = default_generator());
  // Self-attention without masks: forward(x, x, x).
  Tensor forward(const Tensor& x) override;
  // [B, L, E] from query [B, L, E], key [B, S, E], value [B, S, E].
  Tensor forward(const Tensor& query, const Tensor& key, const Tensor& value, const AttentionMasks& masks = {});
  std::string describe() const override;

  Tensor in_proj_weight;
  Tensor in_proj_bias;  // undefined without bias
  std::shared_ptr<Linear> out_proj;

 private:
  // x [B, n, E] projected by the i-th block of in_proj (0 query, 1 key, 2 value) and split
  // into heads: a [B, H, n, E / H] view.
  Tensor project(const Tensor& x, std::int64_t i) const;
  Tensor combined_mask(const AttentionMasks& masks, std::int64_t b, std::int64_t l, std::int64_t s, DType dtype) const;

  std::int64_t embed_dim_, num_heads_;
  MultiheadAttentionOptions options_;
  Generator gen_;  // the dropout masks' stream
};

}  // namespace tg::nn
