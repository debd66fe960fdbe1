// The pre-norm transformer block written with libtorch as a LibTorch 1.13 user writes it
// (its C++ TransformerEncoderLayer has no norm_first, and it has no fused attention):
// LayerNorm, one [3d, d] in-projection, attention as matmul / masked_fill / softmax /
// matmul, the out-projection and a GELU FFN. Its parameters are listed in the order of
// tapegrad_block_parameters, so that one side's values can be copied into the other.
#pragma once

#include <cmath>
#include <limits>
#include <vector>

#include "nn/modules/transformer.hpp"

#ifdef TAPEGRAD_BENCH_TORCH
#include <torch/torch.h>

#include "bench/torch_util.hpp"
#endif

namespace tg::bench {

inline std::vector<tg::Tensor> tapegrad_block_parameters(const tg::nn::TransformerBlock& b) {
  return {b.self_attn->in_proj_weight,
          b.self_attn->in_proj_bias,
          b.self_attn->out_proj->weight,
          b.self_attn->out_proj->bias,
          b.linear1->weight,
          b.linear1->bias,
          b.linear2->weight,
          b.linear2->bias,
          b.norm1->weight,
          b.norm1->bias,
          b.norm2->weight,
          b.norm2->bias};
}

// GEMM flops of a block's forward over `tokens` tokens in sequences of `length`: the
// in-projection (3 d^2), out-projection (d^2) and FFN (8 d^2) products, 2 flops per
// multiply-add, and the two attention products (2 L d each per token, causal or not).
inline double block_forward_flops(double tokens, double length, double d) {
  return tokens * (24 * d * d + 4 * length * d);
}

#ifdef TAPEGRAD_BENCH_TORCH

// Attention over q, k, v [B, H, L, E]; `masked` [L, L] bool (true = not allowed) or undefined.
inline torch::Tensor torch_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     const torch::Tensor& masked) {
  torch::Tensor scores = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  if (masked.defined()) scores = scores.masked_fill(masked, -std::numeric_limits<float>::infinity());
  return torch::matmul(torch::softmax(scores, -1), v);
}

inline torch::Tensor causal_mask(std::int64_t length) { return torch::ones({length, length}, torch::kBool).triu(1); }

struct TorchBlock {
  std::int64_t d, heads;
  bool causal;
  torch::nn::LayerNorm norm1, norm2;
  torch::nn::Linear in_proj, out_proj, linear1, linear2;

  TorchBlock(std::int64_t d_model, std::int64_t num_heads, bool is_causal)
      : d(d_model),
        heads(num_heads),
        causal(is_causal),
        norm1(torch::nn::LayerNormOptions({d_model})),
        norm2(torch::nn::LayerNormOptions({d_model})),
        in_proj(d_model, 3 * d_model),
        out_proj(d_model, d_model),
        linear1(d_model, 4 * d_model),
        linear2(4 * d_model, d_model) {}

  std::vector<torch::Tensor> parameters() const {
    return {in_proj->weight, in_proj->bias, out_proj->weight, out_proj->bias, linear1->weight, linear1->bias,
            linear2->weight, linear2->bias, norm1->weight,    norm1->bias,    norm2->weight,   norm2->bias};
  }

  // x [B, L, d].
  torch::Tensor forward(const torch::Tensor& x) {
    const std::int64_t b = x.size(0), l = x.size(1);
    const std::vector<torch::Tensor> qkv = in_proj(norm1(x)).chunk(3, -1);
    const auto split = [&](const torch::Tensor& t) { return t.view({b, l, heads, d / heads}).transpose(1, 2); };
    const torch::Tensor heads_out =
        torch_attention(split(qkv[0]), split(qkv[1]), split(qkv[2]), causal ? causal_mask(l) : torch::Tensor());
    const torch::Tensor a = x + out_proj(heads_out.transpose(1, 2).reshape({b, l, d}));
    return a + linear2(torch::gelu(linear1(norm2(a))));
  }
};

// Copies tapegrad's values into libtorch's tensors, pairwise.
inline void copy_parameters(const std::vector<tg::Tensor>& from, const std::vector<torch::Tensor>& to) {
  TORCH_CHECK(from.size() == to.size(), "copy_parameters: ", from.size(), " tapegrad tensors, ", to.size(),
              " libtorch tensors");
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < from.size(); ++i) {
    torch::Tensor dst = to[i];
    dst.copy_(as_torch(from[i]));
  }
}

#endif  // TAPEGRAD_BENCH_TORCH

}  // namespace tg::bench
