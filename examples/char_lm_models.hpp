// The two character-level language models of train_char_lm: a small decoder-only
// transformer (GPT-style: token and position embeddings, pre-norm causal blocks, a final
// LayerNorm and a linear head) and a stacked LSTM. Both map token ids [B, T] to logits
// [B, T, V] and can continue a text one token at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace example {

struct CharModelOptions {
  std::int64_t vocab_size = 0;
  std::int64_t context = 128;  // the longest sequence the transformer attends over
  std::int64_t d_model = 128;  // transformer width, or LSTM embedding and hidden size
  std::int64_t layers = 4;
  std::int64_t heads = 4;
  double dropout = 0.0;
};

class CharModel : public tg::nn::Module {
 public:
  using tg::nn::Module::Module;
  // logits [B, T, V] of the token after each position of ids [B, T].
  virtual tg::Tensor logits(const tg::Tensor& ids) = 0;
  tg::Tensor forward(const tg::Tensor& ids) override { return logits(ids); }
  // Continues `prompt` (ids) by `count` tokens drawn with `sampling`.
  virtual std::vector<std::int64_t> generate(const std::vector<std::int64_t>& prompt, std::int64_t count,
                                             tg::nn::SamplingOptions sampling, tg::Generator& gen) = 0;
};

class CharTransformer : public CharModel {
 public:
  explicit CharTransformer(const CharModelOptions& o) : CharModel("CharTransformer"), context_(o.context) {
    using namespace tg::nn;
    token_embedding = register_module("token_embedding", std::make_shared<Embedding>(o.vocab_size, o.d_model));
    position_embedding = register_module("position_embedding", std::make_shared<Embedding>(o.context, o.d_model));
    blocks = register_module("blocks", std::make_shared<Sequential>());
    for (std::int64_t i = 0; i < o.layers; ++i)
      blocks->push_back(std::make_shared<TransformerDecoderOnlyLayer>(
          TransformerLayerOptions{.d_model = o.d_model, .nhead = o.heads, .dropout = o.dropout}));
    final_norm = register_module("final_norm", std::make_shared<LayerNorm>(tg::Shape{o.d_model}));
    head = register_module("head", std::make_shared<Linear>(o.d_model, o.vocab_size));
  }

  tg::Tensor logits(const tg::Tensor& ids) override {
    const std::int64_t t = ids.size(1);
    TG_CHECK(t <= context_, tg::ShapeError, "CharTransformer: sequence of {} tokens exceeds the context of {}", t,
             context_);
    const tg::Tensor positions = tg::arange(0, static_cast<double>(t), 1, {.dtype = tg::DType::Int64});
    tg::Tensor x = (*token_embedding)(ids) + (*position_embedding)(positions);
    return (*head)((*final_norm)((*blocks)(x)));
  }

  // Each new token attends over the last `context` tokens (no cache: the whole window is run).
  std::vector<std::int64_t> generate(const std::vector<std::int64_t>& prompt, std::int64_t count,
                                     tg::nn::SamplingOptions sampling, tg::Generator& gen) override {
    tg::NoGradGuard no_grad;
    std::vector<std::int64_t> ids = prompt;
    for (std::int64_t i = 0; i < count; ++i) {
      const auto n = static_cast<std::int64_t>(ids.size());
      const std::int64_t start = std::max<std::int64_t>(0, n - context_);
      const std::vector<std::int64_t> window(ids.begin() + start, ids.end());
      const tg::Tensor out = logits(tg::from_vector(window, {1, n - start}));
      ids.push_back(tg::nn::sample_token(tg::slice(out, 1, n - start - 1, n - start).reshape({-1}), sampling, gen));
    }
    return {ids.begin() + static_cast<std::ptrdiff_t>(prompt.size()), ids.end()};
  }

  std::shared_ptr<tg::nn::Embedding> token_embedding, position_embedding;
  std::shared_ptr<tg::nn::Sequential> blocks;
  std::shared_ptr<tg::nn::LayerNorm> final_norm;
  std::shared_ptr<tg::nn::Linear> head;

 private:
  std::int64_t context_;
};

class CharLSTM : public CharModel {
 public:
  explicit CharLSTM(const CharModelOptions& o) : CharModel("CharLSTM") {
    using namespace tg::nn;
    embedding = register_module("embedding", std::make_shared<Embedding>(o.vocab_size, o.d_model));
    lstm = register_module(
        "lstm", std::make_shared<LSTM>(o.d_model, o.d_model,
                                       RNNOptions{.num_layers = o.layers, .batch_first = true, .dropout = o.dropout}));
    head = register_module("head", std::make_shared<Linear>(o.d_model, o.vocab_size));
  }

  tg::Tensor logits(const tg::Tensor& ids) override { return (*head)((*lstm)((*embedding)(ids))); }

  // The recurrent state carries the whole history: one token in, one step of the LSTM.
  std::vector<std::int64_t> generate(const std::vector<std::int64_t>& prompt, std::int64_t count,
                                     tg::nn::SamplingOptions sampling, tg::Generator& gen) override {
    tg::NoGradGuard no_grad;
    tg::nn::LSTMOutput out = lstm->forward(
        (*embedding)(tg::from_vector(prompt, {1, static_cast<std::int64_t>(prompt.size())})), tg::nn::LSTMState{});
    std::vector<std::int64_t> ids;
    for (std::int64_t i = 0; i < count; ++i) {
      const std::int64_t t = out.output.size(1);
      const tg::Tensor last = (*head)(tg::slice(out.output, 1, t - 1, t)).reshape({-1});
      ids.push_back(tg::nn::sample_token(last, sampling, gen));
      out = lstm->forward((*embedding)(tg::from_vector(std::vector<std::int64_t>{ids.back()}, {1, 1})), out.state);
    }
    return ids;
  }

  std::shared_ptr<tg::nn::Embedding> embedding;
  std::shared_ptr<tg::nn::LSTM> lstm;
  std::shared_ptr<tg::nn::Linear> head;
};

inline std::shared_ptr<CharModel> make_char_model(const std::string& kind, const CharModelOptions& options) {
  if (kind == "transformer") return std::make_shared<CharTransformer>(options);
  if (kind == "lstm") return std::make_shared<CharLSTM>(options);
  TG_CHECK(false, tg::ValueError, "--model must be transformer or lstm, got '{}'", kind);
  return nullptr;
}

}  // namespace example
