// The sequence models' primitives alone, forward and forward+backward, tapegrad's op
// against libtorch on the same float32 data: layer_norm over the last 256 of [2048, 256]
// rows (affine), causal scaled_dot_product_attention on [16, 4, 128, E] (libtorch 1.13
// has no fused attention: the composition matmul / masked_fill / softmax / matmul), and
// embedding lookups of 16 x 128 indices into [V, 256] tables.
#include <memory>

#include "bench/graph_variants.hpp"
#include "bench/torch_transformer.hpp"
#include "ops/attention.hpp"
#include "ops/embedding.hpp"
#include "ops/normalization.hpp"
#include "tensor/random.hpp"

namespace tg::bench {
namespace {

constexpr double kFloatBytes = 4;

// A float32 leaf of N(0, 1) values.
tg::Tensor leaf(const tg::Shape& shape, tg::Generator& gen) { return tg::randn(shape, gen).set_requires_grad(); }

#ifdef TAPEGRAD_BENCH_TORCH
torch::Tensor torch_leaf(const tg::Tensor& t) { return as_torch(t).clone().requires_grad_(); }
#endif

// Rows [16 * 128, 256]. Bytes: the forward reads x and writes y; the backward reads x and
// dy and writes dx (the per-row statistics and the 256-wide parameters are negligible).
CaseGroup layer_norm_case() {
  const std::string name = "layer_norm [2048, 256]";
  return {graph_variant_names(name), [name] {
            tg::Generator gen(5100);
            const tg::Tensor x = leaf({2048, 256}, gen), w = leaf({256}, gen), b = leaf({256}, gen);
            const double n = static_cast<double>(x.numel()) * kFloatBytes;
            TgGraph tape{[x, w, b] { return tg::layer_norm(x, {256}, w, b); }, {x, w, b}};
            TorchGraph torch;
#ifdef TAPEGRAD_BENCH_TORCH
            const torch::Tensor tx = torch_leaf(x), tw = torch_leaf(w), tb = torch_leaf(b);
            torch = {[tx, tw, tb] { return torch::layer_norm(tx, {256}, tw, tb); }, {tx, tw, tb}};
#endif
            return graph_variants(name, {2 * n, 5 * n, Bound::memcpy}, tape, torch);
          }};
}

// Causal, batch 16, 4 heads, length 128. Work: the two products (Q K^T and P V) counted
// dense, 2 B H L^2 E flops each, as the composition computes them; the backward adds four
// products of the same size (dV, dP, dQ, dK).
CaseGroup attention_case(std::int64_t head_dim) {
  const std::string name = "attention causal b16 h4 L128 E" + std::to_string(head_dim);
  return {graph_variant_names(name), [name, head_dim] {
            constexpr std::int64_t kB = 16, kH = 4, kL = 128;
            tg::Generator gen(5200);
            const tg::Shape shape{kB, kH, kL, head_dim};
            const tg::Tensor q = leaf(shape, gen), k = leaf(shape, gen), v = leaf(shape, gen);
            const double products = 2 * 2.0 * kB * kH * kL * kL * static_cast<double>(head_dim);
            TgGraph tape{[q, k, v] { return tg::scaled_dot_product_attention(q, k, v, {}, {.is_causal = true}); },
                         {q, k, v}};
            TorchGraph torch;
#ifdef TAPEGRAD_BENCH_TORCH
            const torch::Tensor tq = torch_leaf(q), tk = torch_leaf(k), tv = torch_leaf(v), mask = causal_mask(kL);
            torch = {[tq, tk, tv, mask] { return torch_attention(tq, tk, tv, mask); }, {tq, tk, tv}};
#endif
            return graph_variants(name, {products, 3 * products, Bound::flops}, tape, torch);
          }};
}

// 16 x 128 indices into a [V, 256] table. Bytes: the forward reads the selected rows and
// writes them out; the backward writes the whole dense weight gradient (zeros) and adds
// each dy row into its row (read dy, read and write the row).
CaseGroup embedding_case(std::int64_t vocab) {
  const std::string name = "embedding V" + std::to_string(vocab) + " d256 [16, 128]";
  return {graph_variant_names(name), [name, vocab] {
            tg::Generator gen(5300);
            const tg::Tensor weight = leaf({vocab, 256}, gen);
            const tg::Tensor indices = tg::randint(0, vocab, {16, 128}, gen);
            const double out = 16 * 128 * 256 * kFloatBytes;
            const double table = static_cast<double>(weight.numel()) * kFloatBytes;
            TgGraph tape{[indices, weight] { return tg::embedding(indices, weight); }, {weight}};
            TorchGraph torch;
#ifdef TAPEGRAD_BENCH_TORCH
            const torch::Tensor tw = torch_leaf(weight);
            const torch::Tensor ti = torch::from_blob(indices.data<std::int64_t>(), {16, 128}, torch::kLong).clone();
            torch = {[tw, ti] { return torch::embedding(tw, ti); }, {tw}};
#endif
            return graph_variants(name, {2 * out, 2 * out + table + 3 * out, Bound::memcpy}, tape, torch);
          }};
}

}  // namespace

std::vector<CaseGroup> sequence_op_cases() {
  return {layer_norm_case(), attention_case(32), attention_case(64), embedding_case(10000), embedding_case(100)};
}

}  // namespace tg::bench
