// Transformer layers, batch first ([B, L, d_model]), pre-norm:
//   x = x + dropout1(self_attn(norm1(x)))
//   x = x + dropout2(linear2(dropout(gelu(linear1(norm2(x))))))
// with submodules named as PyTorch's nn.TransformerEncoderLayer(norm_first = true,
// batch_first = true), so checkpoints map by name. TransformerEncoderLayer attends to the
// whole sequence (masks optional); TransformerDecoderOnlyLayer is the same block with a
// causal self-attention mask always on (GPT-style, for language models).
#pragma once

#include <cstdint>
#include <memory>

#include "nn/modules/attention.hpp"
#include "nn/modules/layers.hpp"
#include "nn/modules/linear.hpp"
#include "nn/modules/normalization.hpp"

namespace tg::nn {

struct TransformerLayerOptions {
  std::int64_t d_model = 0;
  std::int64_t nhead = 0;
  std::int64_t dim_feedforward = 0;  // 0: 4 * d_model
  double dropout = 0.1;              // after attention, in the FFN, after the FFN; and on the attention weights
  double layer_norm_eps = 1e-5;
  DType dtype = DType::Float32;
};

// The pre-norm block both layers are; `causal` forces the causal mask on.
class TransformerBlock : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  Tensor forward(const Tensor& x, const AttentionMasks& masks);
  std::string describe() const override;

  std::shared_ptr<MultiheadAttention> self_attn;
  std::shared_ptr<Linear> linear1;
  std::shared_ptr<Dropout> dropout;
  std::shared_ptr<Linear> linear2;
  std::shared_ptr<LayerNorm> norm1, norm2;
  std::shared_ptr<Dropout> dropout1, dropout2;

 protected:
  TransformerBlock(std::string type_name, const TransformerLayerOptions& options, bool causal, Generator& gen);

 private:
  TransformerLayerOptions options_;
  bool causal_;
};

class TransformerEncoderLayer : public TransformerBlock {
 public:
  explicit TransformerEncoderLayer(const TransformerLayerOptions& options, Generator& gen = default_generator())
      : TransformerBlock("TransformerEncoderLayer", options, false, gen) {}
};

class TransformerDecoderOnlyLayer : public TransformerBlock {
 public:
  explicit TransformerDecoderOnlyLayer(const TransformerLayerOptions& options, Generator& gen = default_generator())
      : TransformerBlock("TransformerDecoderOnlyLayer", options, true, gen) {}
};

}  // namespace tg::nn
