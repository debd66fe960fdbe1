// Trains a character-level language model on Debian's fortunes corpus: a small decoder-only
// transformer (default) or an LSTM (--model lstm). Live progress with tokens/s, the
// validation loss in bits per character after each epoch next to the unigram and bigram
// entropies of the validation text, generated samples, one atomic checkpoint with --resume,
// and a training-curve plot (SVG).
//
//   train_char_lm                              # the default run (see README for its figures)
//   train_char_lm --model lstm                 # a 2-layer LSTM instead
//   train_char_lm --epochs 8 --resume          # continue a finished run for more epochs
//   train_char_lm --epochs 0 --resume --sample 2000 --temperature 0.7   # only generate
//
// The corpus comes from the Debian package fortunes (or --data-dir / TAPEGRAD_FORTUNES_DIR);
// whole files are held out for validation. Same seed and thread count give the same bits.
#include <CLI/CLI.hpp>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numbers>

#include "char_lm_models.hpp"
#include "nn_example_util.hpp"
#include "tapegrad.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

struct EpochStats {
  double train_bits, valid_bits, seconds;
};

nlohmann::json history_to_json(const std::vector<EpochStats>& h) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& e : h)
    a.push_back({{"train_bits", e.train_bits}, {"valid_bits", e.valid_bits}, {"seconds", e.seconds}});
  return a;
}

std::vector<EpochStats> history_from_json(const nlohmann::json& v) {
  std::vector<EpochStats> h;
  for (const auto& e : v)
    h.push_back({e.at("train_bits").get<double>(), e.at("valid_bits").get<double>(), e.at("seconds").get<double>()});
  return h;
}

// Mean cross-entropy of the next-token predictions, in nats: logits [B, T, V], targets [B, T].
Tensor next_token_loss(const Tensor& logits, const Tensor& targets) {
  return cross_entropy(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}));
}

// Bits per character over the whole validation text, in windows of the training length.
double validation_bits(example::CharModel& model, DataLoader& loader) {
  model.eval();
  NoGradGuard no_grad;
  double nats = 0.0;
  std::int64_t tokens = 0;
  for (const Batch& b : loader) {
    const std::int64_t n = b.target.numel();
    nats += next_token_loss(model(b.data), b.target).item() * static_cast<double>(n);
    tokens += n;
  }
  model.train();
  return nats / static_cast<double>(tokens) / std::numbers::ln2;
}

std::string generate_text(example::CharModel& model, const CharVocabulary& vocab, const std::string& prompt,
                          std::int64_t count, SamplingOptions sampling, std::uint64_t seed) {
  Generator gen(seed);
  model.eval();
  const std::vector<std::int64_t> ids =
      model.generate(vocab.encode(prompt).to_vector_as<std::int64_t>(), count, sampling, gen);
  model.train();
  return prompt + vocab.decode(ids);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Trains a character-level language model (transformer or LSTM) on the fortunes corpus."};
  std::string model_kind = "transformer", data_dir = default_fortunes_dir(), out_dir = "char-lm-run";
  std::string prompt = "The ";
  example::CharModelOptions arch;
  std::int64_t epochs = 2, batch_size = 32, warmup = 100, sample_length = 300;
  double lr = 3e-3, weight_decay = 0.1, temperature = 0.8;
  std::int64_t top_k = 20;
  int threads = 0;
  std::uint64_t seed = 1;
  bool resume = false;
  app.add_option("--model", model_kind, "transformer or lstm")->capture_default_str();
  app.add_option("--epochs", epochs, "passes over the training text (a resumed run continues up to this many)")
      ->capture_default_str();
  app.add_option("--batch-size", batch_size, "sequences per step")->capture_default_str();
  app.add_option("--context", arch.context, "characters per training sequence (the transformer's context)")
      ->capture_default_str();
  std::int64_t width = 0, layers = 0;  // 0: the model's default
  app.add_option("--width", width, "transformer width (default 128), or LSTM embedding and hidden size (256)");
  app.add_option("--layers", layers, "transformer blocks (default 4) or LSTM layers (2)");
  app.add_option("--heads", arch.heads, "attention heads")->capture_default_str();
  app.add_option("--dropout", arch.dropout, "dropout in the blocks / between LSTM layers")->capture_default_str();
  app.add_option("--lr", lr, "AdamW's peak learning rate (linear warmup, then cosine to 0)")->capture_default_str();
  app.add_option("--warmup", warmup, "warmup steps")->capture_default_str();
  app.add_option("--weight-decay", weight_decay, "AdamW's decay (not on biases and norm weights)")
      ->capture_default_str();
  app.add_option("--threads", threads, "threads for the kernels (0: the machine's cores)")->capture_default_str();
  app.add_option("--seed", seed, "seed of the weights, the shuffling and the samples")->capture_default_str();
  app.add_option("--data-dir", data_dir, "folder of text files (the fortunes layout)")->capture_default_str();
  app.add_option("--out-dir", out_dir, "folder for the checkpoint and the plot")->capture_default_str();
  app.add_option("--prompt", prompt, "the text samples start from")->capture_default_str();
  app.add_option("--sample", sample_length, "characters generated at the end (200 after each epoch)")
      ->capture_default_str();
  app.add_option("--temperature", temperature, "sampling temperature (0: greedy)")->capture_default_str();
  app.add_option("--top-k", top_k, "sample among the k most likely characters (0: all)")->capture_default_str();
  app.add_flag("--resume", resume, "continue from the checkpoint in --out-dir");
  CLI11_PARSE(app, argc, argv);
  try {
    TG_CHECK(model_kind == "transformer" || model_kind == "lstm", ValueError,
             "--model must be transformer or lstm, got '{}'", model_kind);
    TG_CHECK(epochs >= 0 && batch_size > 0 && arch.context > 1 && warmup >= 0, ValueError,
             "--epochs {} must be >= 0, --batch-size {} > 0, --context {} > 1, --warmup {} >= 0", epochs, batch_size,
             arch.context, warmup);
    const bool lstm = model_kind == "lstm";
    arch.d_model = width > 0 ? width : lstm ? 256 : 128;
    arch.layers = layers > 0 ? layers : lstm ? 2 : 4;
    if (threads > 0) set_num_threads(threads);
    std::filesystem::create_directories(out_dir);

    const TextCorpus corpus = load_text_corpus(data_dir, default_fortunes_validation_files());
    const CharVocabulary vocab(corpus.train);
    arch.vocab_size = vocab.size();
    const Tensor train_tokens = vocab.encode(corpus.train), valid_tokens = vocab.encode(corpus.validation);
    DataLoader train_loader(next_token_windows(train_tokens, arch.context, arch.context),
                            {.batch_size = batch_size, .shuffle = true, .drop_last = true, .seed = seed});
    DataLoader valid_loader(next_token_windows(valid_tokens, arch.context, arch.context), {.batch_size = 64});
    const double unigram = unigram_entropy_bits(corpus.validation), bigram = bigram_entropy_bits(corpus.validation);

    manual_seed(seed);
    const std::shared_ptr<example::CharModel> model = example::make_char_model(model_kind, arch);
    AdamW optimizer(param_groups_no_decay_on_biases_and_norms(*model, weight_decay), {.lr = lr});
    const std::int64_t total_steps = std::max<std::int64_t>(1, epochs * train_loader.num_batches());
    LinearWarmupCosineLR schedule(optimizer, warmup, total_steps);
    fmt::print("{}", model->to_string());
    fmt::print("data: {} training characters ({} files), {} validation characters ({}); vocabulary {}; {} threads\n",
               corpus.train.size(), corpus.train_files.size(), corpus.validation.size(),
               fmt::join(corpus.validation_files, ", "), vocab.size(), get_num_threads());
    fmt::print("validation text entropy: unigram {:.3f} bits/char, bigram {:.3f} bits/char\n", unigram, bigram);
    std::fflush(stdout);

    const std::string state_path = out_dir + "/training_state.safetensors";
    std::vector<EpochStats> history;
    std::int64_t steps_done = 0;
    if (resume) {
      const LoadedTrainingState loaded = load_training_state(state_path, *model, optimizer);
      for (const auto& [k, v] : loaded.metadata)
        if (k == "history") history = history_from_json(nlohmann::json::parse(v));
      TG_CHECK(static_cast<std::int64_t>(history.size()) == loaded.progress.epoch, ValueError,
               "--resume: {} records {} epochs of history but {} epochs done", state_path, history.size(),
               loaded.progress.epoch);
      steps_done = loaded.progress.step;
      fmt::print("resumed from {} after epoch {} (step {})\n", state_path, history.size(), steps_done);
    }
    schedule.set_step(steps_done);

    const auto start = static_cast<std::int64_t>(history.size());
    for (std::int64_t epoch = start; epoch < epochs; ++epoch) {
      train_loader.set_epoch(epoch);
      example::ProgressBar bar(fmt::format("epoch {}/{}", epoch + 1, epochs), train_loader.num_batches(), "tok/s");
      const auto t0 = std::chrono::steady_clock::now();
      double nats = 0.0;
      std::int64_t tokens = 0, step = 0;
      for (const Batch& b : train_loader) {
        optimizer.zero_grad();
        const Tensor loss = next_token_loss((*model)(b.data), b.target);
        loss.backward();
        clip_grad_norm(model->parameters(), 1.0);
        optimizer.step();
        schedule.step();
        ++steps_done;
        nats += loss.item() * static_cast<double>(b.target.numel());
        tokens += b.target.numel();
        bar.update(++step, fmt::format("loss {:.3f} bits/char", nats / static_cast<double>(tokens) / std::numbers::ln2),
                   tokens);
      }
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double valid = validation_bits(*model, valid_loader);
      history.push_back({nats / static_cast<double>(tokens) / std::numbers::ln2, valid, seconds});
      fmt::print("epoch {}/{}: train {:.3f} bits/char, validation {:.3f} bits/char ({:.0f} tokens/s, {:.1f} s)\n",
                 epoch + 1, epochs, history.back().train_bits, valid, static_cast<double>(tokens) / seconds, seconds);
      fmt::print("sample: {}\n", generate_text(*model, vocab, prompt, 200, {temperature, top_k}, seed + 1));
      std::fflush(stdout);  // keep the log in order with the progress bar on stderr
      const Metadata meta{
          {"history", history_to_json(history).dump()}, {"seed", std::to_string(seed)}, {"model", model_kind}};
      save_training_state(state_path, *model, optimizer, {.epoch = epoch + 1, .step = steps_done}, meta);
      std::vector<double> train_bits, valid_bits;
      for (const auto& e : history) {
        train_bits.push_back(e.train_bits);
        valid_bits.push_back(e.valid_bits);
      }
      example::write_curves_svg(out_dir + "/training_curve.svg",
                                {{"bits per character",
                                  {{"train", train_bits, "#c0392b"},
                                   {"validation", valid_bits, "#27ae60"},
                                   {"bigram entropy", std::vector<double>(history.size(), bigram), "#888888"}}}});
    }
    const std::string text = generate_text(*model, vocab, prompt, sample_length, {temperature, top_k}, seed + 2);
    fmt::print("--- {} characters at temperature {}, top-k {} ---\n{}\n---\n", sample_length, temperature, top_k, text);
    if (!history.empty())
      fmt::print(
          "final validation {:.3f} bits/char (exact: {:.17g}; unigram {:.3f}, bigram {:.3f}); checkpoint {}, plot "
          "{}/training_curve.svg\n",
          history.back().valid_bits, history.back().valid_bits, unigram, bigram, state_path, out_dir);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
