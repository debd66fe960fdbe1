// Whole sequence layers, forward and forward+backward (into the input and every
// parameter), tapegrad's tg::nn module against libtorch with the same parameters: a
// pre-norm transformer encoder block (4 heads, FFN 4d with GELU, dropout 0) on [16, 128, d],
// and a one-layer LSTM 256 -> 256 on [32, 64, 256] (batch first).
#include <memory>

#include "bench/graph_variants.hpp"
#include "bench/torch_transformer.hpp"
#include "nn/modules/recurrent.hpp"
#include "tensor/random.hpp"

namespace tg::bench {
namespace {

CaseGroup transformer_block_case(std::int64_t d) {
  const std::string name = "transformer block d" + std::to_string(d) + " h4 b16 L128";
  return {graph_variant_names(name), [name, d] {
            constexpr std::int64_t kB = 16, kL = 128;
            tg::Generator gen(5400);
            auto block = std::make_shared<tg::nn::TransformerEncoderLayer>(
                tg::nn::TransformerLayerOptions{.d_model = d, .nhead = 4, .dropout = 0.0}, gen);
            const tg::Tensor x = tg::randn({kB, kL, d}, gen).set_requires_grad();
            std::vector<tg::Tensor> leaves = tapegrad_block_parameters(*block);
            leaves.insert(leaves.begin(), x);
            const double fwd = block_forward_flops(kB * kL, kL, static_cast<double>(d));
            TgGraph tape{[block, x] { return (*block)(x); }, leaves};
            TorchGraph torch;
#ifdef TAPEGRAD_BENCH_TORCH
            auto tblock = std::make_shared<TorchBlock>(d, 4, false);
            copy_parameters(tapegrad_block_parameters(*block), tblock->parameters());
            const torch::Tensor tx = as_torch(x).clone().requires_grad_();
            std::vector<torch::Tensor> tleaves = tblock->parameters();
            tleaves.insert(tleaves.begin(), tx);
            torch = {[tblock, tx] { return tblock->forward(tx); }, tleaves};
#endif
            return graph_variants(name, {fwd, 3 * fwd, Bound::flops}, tape, torch);
          }};
}

// Work: per step the products x_t W_ih^T and h W_hh^T, 2 B 4H (I + H) flops; the backward
// computes two more per weight (the input / state gradient and the weight gradient).
CaseGroup lstm_case() {
  const std::string name = "lstm 256->256 b32 L64";
  return {graph_variant_names(name), [name] {
            constexpr std::int64_t kB = 32, kL = 64, kIn = 256, kHidden = 256;
            tg::Generator gen(5500);
            auto lstm = std::make_shared<tg::nn::LSTM>(kIn, kHidden, tg::nn::RNNOptions{.batch_first = true});
            const tg::Tensor x = tg::randn({kB, kL, kIn}, gen).set_requires_grad();
            std::vector<tg::Tensor> leaves{x};
            for (const tg::Tensor& p : lstm->parameters()) leaves.push_back(p);
            const double fwd = kL * 2.0 * kB * 4 * kHidden * (kIn + kHidden);
            TgGraph tape{[lstm, x] { return lstm->forward(x); }, leaves};
            TorchGraph torch;
#ifdef TAPEGRAD_BENCH_TORCH
            auto tlstm = std::make_shared<torch::nn::LSTM>(torch::nn::LSTMOptions(kIn, kHidden).batch_first(true));
            const torch::Tensor tx = as_torch(x).clone().requires_grad_();
            std::vector<torch::Tensor> tleaves{tx};
            std::vector<tg::Tensor> from;
            const auto torch_params = (*tlstm)->named_parameters();
            for (const auto& [param_name, p] : lstm->named_parameters()) {
              from.push_back(p);
              tleaves.push_back(torch_params[param_name]);
            }
            copy_parameters(from, {tleaves.begin() + 1, tleaves.end()});
            torch = {[tlstm, tx] { return std::get<0>((*tlstm)->forward(tx)); }, tleaves};
#endif
            return graph_variants(name, {fwd, 3 * fwd, Bound::flops}, tape, torch);
          }};
}

}  // namespace

std::vector<CaseGroup> sequence_layer_cases() {
  return {transformer_block_case(128), transformer_block_case(256), lstm_case()};
}

}  // namespace tg::bench
