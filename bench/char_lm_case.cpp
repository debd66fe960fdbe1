// One training step of the default character-level language model of
// examples/char_lm_models.hpp (CharTransformer: vocabulary 96, context 128, width 128, 4
// pre-norm causal layers of 4 heads, batch 32): forward, cross-entropy over every position,
// backward, gradient clipping at norm 1, AdamW (lr 3e-3, weight decay 0.1 on matrices
// only). libtorch runs the same model written with torch::nn from tapegrad's initial
// parameters. The check runs both for kCheckSteps steps on the same batches and compares
// the losses: the first must agree to the usual 1e-4, the last within float32 training
// noise.
#include <cmath>
#include <cstdio>
#include <memory>

#include "bench/cases.hpp"
#include "bench/torch_transformer.hpp"
#include "examples/char_lm_models.hpp"

namespace tg::bench {
namespace {

constexpr std::int64_t kVocab = 96, kContext = 128, kWidth = 128, kLayers = 4, kHeads = 4, kBatch = 32;
constexpr double kLr = 3e-3, kWeightDecay = 0.1, kMaxNorm = 1.0;
constexpr int kCheckSteps = 50;
// Relative difference allowed between the two losses after kCheckSteps steps: float32
// rounding differs between the sides and AdamW's normalised steps carry it along.
constexpr double kTrainedTolerance = 1e-2;

// GEMM flops of one step: the layers' forward, the head (2 d V per token), three maps each.
double step_flops() {
  const double tokens = kBatch * kContext;
  return 3 * (kLayers * block_forward_flops(tokens, kContext, kWidth) + tokens * 2 * kWidth * kVocab);
}

// Windows of a seeded random walk with structure (each token is followed by one of four
// tokens determined by it), so that the loss falls well below log(V) within a few steps
// and two diverging implementations would show it.
struct Batches {
  tg::Generator gen{5600};
  std::int64_t previous = 0;
  // ids [B, T] and targets [B, T] (the ids shifted by one).
  std::pair<tg::Tensor, tg::Tensor> next() {
    std::vector<std::int64_t> ids, targets;
    for (std::int64_t b = 0; b < kBatch; ++b) {
      std::vector<std::int64_t> walk{static_cast<std::int64_t>(gen.uniform() * kVocab)};
      for (std::int64_t t = 0; t < kContext; ++t)
        walk.push_back((walk.back() * 7 + 3 + static_cast<std::int64_t>(gen.uniform() * 4)) % kVocab);
      ids.insert(ids.end(), walk.begin(), walk.end() - 1);
      targets.insert(targets.end(), walk.begin() + 1, walk.end());
    }
    return {tg::from_vector(ids, {kBatch, kContext}), tg::from_vector(targets, {kBatch, kContext})};
  }
};

// Modules fork their generators off the default one: seeding it first makes the initial
// parameters the same whichever cases ran before this one.
std::shared_ptr<example::CharTransformer> seeded_model() {
  tg::manual_seed(5700);
  return std::make_shared<example::CharTransformer>(example::CharModelOptions{
      .vocab_size = kVocab, .context = kContext, .d_model = kWidth, .layers = kLayers, .heads = kHeads});
}

struct TgCharLM {
  std::shared_ptr<example::CharTransformer> model;
  std::unique_ptr<tg::nn::AdamW> optimizer;
  TgCharLM()
      : model(seeded_model()),
        optimizer(std::make_unique<tg::nn::AdamW>(
            tg::nn::param_groups_no_decay_on_biases_and_norms(*model, kWeightDecay), tg::nn::AdamOptions{.lr = kLr})) {}

  // In the order of TorchCharLM::parameters.
  std::vector<tg::Tensor> parameters() const {
    std::vector<tg::Tensor> p{model->token_embedding->weight, model->position_embedding->weight};
    for (std::size_t i = 0; i < model->blocks->size(); ++i) {
      const auto& block = dynamic_cast<const tg::nn::TransformerBlock&>((*model->blocks)[i]);
      for (const tg::Tensor& t : tapegrad_block_parameters(block)) p.push_back(t);
    }
    for (const tg::Tensor& t :
         {model->final_norm->weight, model->final_norm->bias, model->head->weight, model->head->bias})
      p.push_back(t);
    return p;
  }

  double step(const tg::Tensor& ids, const tg::Tensor& targets) const {
    optimizer->zero_grad();
    const tg::Tensor logits = model->logits(ids);
    const tg::Tensor loss = tg::nn::cross_entropy(logits.reshape({-1, kVocab}), targets.reshape({-1}));
    loss.backward();
    tg::nn::clip_grad_norm(model->parameters(), kMaxNorm);
    optimizer->step();
    return loss.item<double>();
  }
};

#ifdef TAPEGRAD_BENCH_TORCH
struct TorchCharLM {
  torch::nn::Embedding token_embedding{kVocab, kWidth}, position_embedding{kContext, kWidth};
  std::vector<TorchBlock> blocks;
  torch::nn::LayerNorm final_norm{torch::nn::LayerNormOptions({kWidth})};
  torch::nn::Linear head{kWidth, kVocab};
  torch::Tensor positions = torch::arange(kContext, torch::kLong);
  std::unique_ptr<torch::optim::AdamW> optimizer;

  explicit TorchCharLM(const std::vector<tg::Tensor>& init) {
    for (std::int64_t i = 0; i < kLayers; ++i) blocks.emplace_back(kWidth, kHeads, true);
    copy_parameters(init, parameters());
    std::vector<torch::Tensor> decayed, not_decayed;
    for (const torch::Tensor& p : parameters()) (p.dim() <= 1 ? not_decayed : decayed).push_back(p);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decayed, std::make_unique<torch::optim::AdamWOptions>(
                                     torch::optim::AdamWOptions(kLr).weight_decay(kWeightDecay)));
    groups.emplace_back(not_decayed,
                        std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(kLr).weight_decay(0)));
    optimizer = std::make_unique<torch::optim::AdamW>(std::move(groups), torch::optim::AdamWOptions(kLr));
  }

  std::vector<torch::Tensor> parameters() const {
    std::vector<torch::Tensor> p{token_embedding->weight, position_embedding->weight};
    for (const TorchBlock& b : blocks)
      for (const torch::Tensor& t : b.parameters()) p.push_back(t);
    for (const torch::Tensor& t : {final_norm->weight, final_norm->bias, head->weight, head->bias}) p.push_back(t);
    return p;
  }

  double step(const torch::Tensor& ids, const torch::Tensor& targets) {
    optimizer->zero_grad();
    torch::Tensor x = token_embedding(ids) + position_embedding(positions);
    for (TorchBlock& b : blocks) x = b.forward(x);
    const torch::Tensor logits = head(final_norm(x));
    torch::Tensor loss = torch::nn::functional::cross_entropy(logits.reshape({-1, kVocab}), targets.reshape({-1}));
    loss.backward();
    torch::nn::utils::clip_grad_norm_(parameters(), kMaxNorm);
    optimizer->step();
    return loss.item<double>();
  }
};

torch::Tensor as_torch_ids(const tg::Tensor& ids) {
  return torch::from_blob(ids.data<std::int64_t>(), at::IntArrayRef(ids.shape()), torch::kLong).clone();
}
#endif

struct CharLMData {
  Batches batches;
  std::pair<tg::Tensor, tg::Tensor> timed_batch = batches.next();
  TgCharLM tg_lm;
#ifdef TAPEGRAD_BENCH_TORCH
  TorchCharLM torch_lm{tg_lm.parameters()};
  torch::Tensor torch_ids = as_torch_ids(timed_batch.first), torch_targets = as_torch_ids(timed_batch.second);
#endif

  // kCheckSteps steps on each side over the same fresh batches; prints the losses.
  std::string check() {
#ifdef TAPEGRAD_BENCH_TORCH
    double first_tg = 0, first_torch = 0, last_tg = 0, last_torch = 0;
    for (int s = 0; s < kCheckSteps; ++s) {
      const auto [ids, targets] = batches.next();
      last_tg = tg_lm.step(ids, targets);
      last_torch = torch_lm.step(as_torch_ids(ids), as_torch_ids(targets));
      if (s == 0) first_tg = last_tg, first_torch = last_torch;
    }
    std::printf("char-lm: loss at step 1 tapegrad %.6f libtorch %.6f; after %d steps tapegrad %.6f libtorch %.6f\n",
                first_tg, first_torch, kCheckSteps, last_tg, last_torch);
    return combine({verdict(std::abs(first_tg - first_torch) / std::abs(first_torch)),
                    verdict(std::abs(last_tg - last_torch) / std::abs(last_torch), kTrainedTolerance)});
#else
    return "";
#endif
  }
};

}  // namespace

std::vector<CaseGroup> char_lm_cases() {
  const std::string name = "char-lm transformer adamw step b32";
  return {{{name}, [name] {
             auto d = std::make_shared<CharLMData>();
             Variant v;
             v.name = name;
             v.work = step_flops();
             v.tapegrad = [d] { d->tg_lm.step(d->timed_batch.first, d->timed_batch.second); };
             v.check = [d] { return d->check(); };
#ifdef TAPEGRAD_BENCH_TORCH
             v.torch = [d] { d->torch_lm.step(d->torch_ids, d->torch_targets); };
#endif
             return std::vector<Variant>{v};
           }}};
}

}  // namespace tg::bench
