#include "nn/modules/attention.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "nn/modules/functional.hpp"
#include "nn/modules/init.hpp"
#include "ops/attention.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/reduction.hpp"
#include "ops/shape_ops.hpp"

namespace tg::nn {

namespace {

// A bool mask (true = masked) as an additive one: -inf where true, 0 elsewhere; a float
// mask is already additive.
Tensor additive_mask(const Tensor& mask, DType dtype) {
  if (mask.dtype() == DType::Bool) {
    return where(mask, full({}, -std::numeric_limits<double>::infinity(), {.dtype = dtype}),
                 zeros({}, {.dtype = dtype}));
  }
  return mask.dtype() == dtype ? mask : cast(mask, dtype);
}

}  // namespace

MultiheadAttention::MultiheadAttention(std::int64_t embed_dim, std::int64_t num_heads,
                                       MultiheadAttentionOptions options, Generator& gen)
    : Module("MultiheadAttention"),
      embed_dim_(embed_dim),
      num_heads_(num_heads),
      options_(options),
      gen_(default_generator().fork()) {
  TG_CHECK(embed_dim > 0 && num_heads > 0 && embed_dim % num_heads == 0, ValueError,
           "MultiheadAttention: embed_dim {} must be a positive multiple of num_heads {}", embed_dim, num_heads);
  TG_CHECK(options.dropout >= 0.0 && options.dropout <= 1.0, ValueError,
           "MultiheadAttention: dropout must be in [0, 1], got {}", options.dropout);
  // PyTorch's order: in_proj, then out_proj (whose Linear initialisation draws first), then
  // xavier for in_proj and zero biases.
  in_proj_weight = register_parameter("in_proj_weight", empty({3 * embed_dim, embed_dim}, {.dtype = options.dtype}));
  if (options.bias) in_proj_bias = register_parameter("in_proj_bias", zeros({3 * embed_dim}, {.dtype = options.dtype}));
  out_proj = register_module(
      "out_proj", std::make_shared<Linear>(embed_dim, embed_dim, LinearOptions{options.bias, options.dtype}, gen));
  init::xavier_uniform_(in_proj_weight, 1.0, gen);
  if (options.bias) init::zeros_(out_proj->bias);
  register_generator("generator", gen_);
}

Tensor MultiheadAttention::forward(const Tensor& x) { return forward(x, x, x, {}); }

Tensor MultiheadAttention::project(const Tensor& x, std::int64_t i) const {
  const std::int64_t e = embed_dim_;
  // As one [B * n, E] matrix: one GEMM packs the weight once (a batched product would repack
  // it per batch entry, and its weight gradient would sum B partial products).
  Tensor y =
      matmul(reshape(x, {x.size(0) * x.size(1), e}), transpose(slice(in_proj_weight, 0, i * e, (i + 1) * e), 0, 1));
  if (in_proj_bias.defined()) y = y + slice(in_proj_bias, 0, i * e, (i + 1) * e);
  return permute(reshape(y, {x.size(0), x.size(1), num_heads_, e / num_heads_}), {0, 2, 1, 3});
}

Tensor MultiheadAttention::combined_mask(const AttentionMasks& masks, std::int64_t b, std::int64_t l, std::int64_t s,
                                         DType dtype) const {
  Tensor mask;
  if (masks.attn_mask.defined()) {
    const Shape& ms = masks.attn_mask.shape();
    const bool per_head = ms == Shape{b * num_heads_, l, s};
    TG_CHECK(ms == Shape({l, s}) || per_head, ShapeError,
             "MultiheadAttention: attn_mask has shape {}, expected [L, S] = [{}, {}] or [B * num_heads, L, S] = [{}, "
             "{}, {}]",
             ms, l, s, b * num_heads_, l, s);
    mask = additive_mask(masks.attn_mask, dtype);
    if (per_head) mask = reshape(mask, {b, num_heads_, l, s});
  }
  if (masks.key_padding_mask.defined()) {
    TG_CHECK(masks.key_padding_mask.shape() == Shape({b, s}), ShapeError,
             "MultiheadAttention: key_padding_mask has shape {}, expected [B, S] = [{}, {}]",
             masks.key_padding_mask.shape(), b, s);
    const Tensor padding = reshape(additive_mask(masks.key_padding_mask, dtype), {b, 1, 1, s});
    mask = mask.defined() ? mask + padding : padding;
  }
  return mask;
}

Tensor MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                   const AttentionMasks& masks) {
  TG_CHECK(query.dim() == 3 && key.dim() == 3 && value.dim() == 3 && query.size(2) == embed_dim_ &&
               key.size(2) == embed_dim_ && value.size(2) == embed_dim_ && key.size(0) == query.size(0) &&
               value.size(0) == query.size(0) && key.size(1) == value.size(1),
           ShapeError,
           "MultiheadAttention: query {} [B, L, E], key {} and value {} [B, S, E] do not match embed_dim {}",
           query.shape(), key.shape(), value.shape(), embed_dim_);
  const std::int64_t b = query.size(0), l = query.size(1), s = key.size(1);
  const Tensor q = project(query, 0), k = project(key, 1), v = project(value, 2);
  const Tensor mask = combined_mask(masks, b, l, s, query.dtype());
  Tensor heads;
  if (is_training() && options_.dropout > 0.0) {
    // Dropout acts on the attention weights, which the fused op never exposes: composed.
    const double scale = 1.0 / std::sqrt(static_cast<double>(embed_dim_ / num_heads_));
    Tensor scores = matmul(q, transpose(k, -1, -2)) * scale;
    if (mask.defined()) scores = scores + mask;
    if (masks.is_causal) scores = scores + causal_attention_mask(l, s, query.dtype());
    heads = matmul(functional::dropout(softmax(scores, -1), options_.dropout, true, gen_), v);
  } else {
    heads = scaled_dot_product_attention(q, k, v, mask, {.is_causal = masks.is_causal});
  }
  return reshape((*out_proj)(reshape(permute(heads, {0, 2, 1, 3}), {b * l, embed_dim_})), {b, l, embed_dim_});
}

std::string MultiheadAttention::describe() const {
  return fmt::format("MultiheadAttention(embed_dim={}, num_heads={}, bias={}, dropout={})", embed_dim_, num_heads_,
                     options_.bias, options_.dropout);
}

}  // namespace tg::nn
