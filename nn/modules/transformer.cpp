#include "nn/modules/transformer.hpp"

#include <fmt/format.h>

#include "ops/elementwise.hpp"
#include "ops/shape_ops.hpp"

namespace tg::nn {

namespace {

std::int64_t feedforward_dim(const TransformerLayerOptions& o) {
  return o.dim_feedforward > 0 ? o.dim_feedforward : 4 * o.d_model;
}

}  // namespace

TransformerBlock::TransformerBlock(std::string layer_name, const TransformerLayerOptions& options, bool causal,
                                   Generator& gen)
    : Module(std::move(layer_name)), options_(options), causal_(causal) {
  TG_CHECK(options.d_model > 0 && options.nhead > 0 && options.dim_feedforward >= 0, ValueError,
           "{}: d_model {} and nhead {} must be positive, dim_feedforward {} non-negative", type_name(),
           options.d_model, options.nhead, options.dim_feedforward);
  const std::int64_t ff = feedforward_dim(options);
  self_attn = register_module("self_attn",
                              std::make_shared<MultiheadAttention>(
                                  options.d_model, options.nhead,
                                  MultiheadAttentionOptions{.dropout = options.dropout, .dtype = options.dtype}, gen));
  linear1 = register_module("linear1",
                            std::make_shared<Linear>(options.d_model, ff, LinearOptions{.dtype = options.dtype}, gen));
  dropout = register_module("dropout", std::make_shared<Dropout>(options.dropout));
  linear2 = register_module("linear2",
                            std::make_shared<Linear>(ff, options.d_model, LinearOptions{.dtype = options.dtype}, gen));
  const LayerNormOptions ln{.eps = options.layer_norm_eps, .dtype = options.dtype};
  norm1 = register_module("norm1", std::make_shared<LayerNorm>(Shape{options.d_model}, ln));
  norm2 = register_module("norm2", std::make_shared<LayerNorm>(Shape{options.d_model}, ln));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(options.dropout));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(options.dropout));
}

Tensor TransformerBlock::forward(const Tensor& x) { return forward(x, AttentionMasks{}); }

Tensor TransformerBlock::forward(const Tensor& x, const AttentionMasks& masks) {
  AttentionMasks m = masks;
  m.is_causal = masks.is_causal || causal_;
  const Tensor h = (*norm1)(x);
  const Tensor a = x + (*dropout1)(self_attn->forward(h, h, h, m));
  // The FFN on [B * L, d_model] rows: each Linear is one GEMM (see MultiheadAttention::project).
  const Tensor rows = reshape((*norm2)(a), {a.numel() / options_.d_model, options_.d_model});
  const Tensor f = (*linear2)((*dropout)(gelu((*linear1)(rows))));
  return a + (*dropout2)(reshape(f, a.shape()));
}

std::string TransformerBlock::describe() const {
  return fmt::format("{}(d_model={}, nhead={}, dim_feedforward={}, dropout={}, layer_norm_eps={})", type_name(),
                     options_.d_model, options_.nhead, feedforward_dim(options_), options_.dropout,
                     options_.layer_norm_eps);
}

}  // namespace tg::nn
