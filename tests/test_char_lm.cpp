// The char-LM example's models (examples/char_lm_models.hpp) as a whole: a few AdamW steps
// give the same bits on 1 and 2 threads and for the same seed; the training loss falls on a
// learnable sequence; generation continues a text deterministically for a seed.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "examples/char_lm_models.hpp"
#include "tapegrad.hpp"

using namespace tg;

namespace {

struct Trained {
  std::vector<std::vector<double>> parameters;
  std::vector<double> losses;
};

// Trains a tiny model `steps` AdamW steps on windows of the periodic text "abcde...",
// with `threads` threads.
Trained train(const std::string& kind, int threads, int steps) {
  set_num_threads(threads);
  manual_seed(11);
  const example::CharModelOptions options{.vocab_size = 8, .context = 12, .d_model = 16, .layers = 2, .heads = 2};
  const auto model = example::make_char_model(kind, options);
  nn::AdamW optimizer(nn::param_groups_no_decay_on_biases_and_norms(*model, 0.1), {.lr = 1e-2});
  std::vector<std::int64_t> ids(4 * 13);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(1 + (i * 3 + i / 13) % 7);
  const nn::TensorDataset windows = nn::next_token_windows(from_vector(ids, {52}), 12, 13);
  Trained out;
  for (int s = 0; s < steps; ++s) {
    optimizer.zero_grad();
    const Tensor logits = (*model)(windows.data());
    const Tensor loss = nn::cross_entropy(logits.reshape({-1, 8}), windows.targets().reshape({-1}));
    loss.backward();
    nn::clip_grad_norm(model->parameters(), 1.0);
    optimizer.step();
    out.losses.push_back(loss.item());
  }
  for (const Tensor& p : model->parameters()) out.parameters.push_back(p.to_vector());
  set_num_threads(0);
  return out;
}

}  // namespace

TEST_CASE("char-LM models: 1 and 2 threads and the same seed give the same bits; the loss falls") {
  for (const std::string kind : {"transformer", "lstm"}) {
    CAPTURE(kind);
    const Trained one = train(kind, 1, 30), two = train(kind, 2, 30), again = train(kind, 2, 30);
    CHECK(one.parameters == two.parameters);
    CHECK(one.losses == two.losses);
    CHECK(two.parameters == again.parameters);
    // Uniform guessing over 8 ids costs ln 8 = 2.08 nats; the sequence is learnable.
    CHECK(one.losses.front() > 1.5);
    CHECK(one.losses.back() < 0.5 * one.losses.front());
  }
}

TEST_CASE("char-LM models: generation is seeded and draws only from the vocabulary") {
  for (const std::string kind : {"transformer", "lstm"}) {
    CAPTURE(kind);
    manual_seed(3);
    const auto model =
        example::make_char_model(kind, {.vocab_size = 6, .context = 8, .d_model = 8, .layers = 1, .heads = 2});
    Generator a(5), b(5);
    const std::vector<std::int64_t> prompt{1, 2, 3};
    const auto first = model->generate(prompt, 20, {.temperature = 1.0, .top_k = 4}, a);
    const auto second = model->generate(prompt, 20, {.temperature = 1.0, .top_k = 4}, b);
    CHECK(first == second);
    REQUIRE(first.size() == 20);  // past the context of 8: the transformer slides its window
    for (const std::int64_t id : first) CHECK((id >= 0 && id < 6));
    // Greedy decoding picks the argmax of the last position's logits.
    Generator g(1);
    const auto greedy = model->generate(prompt, 1, {.temperature = 0.0}, g);
    NoGradGuard no_grad;
    const Tensor logits = (*model)(from_vector(prompt, {1, 3}));
    CHECK(greedy[0] == argmax(slice(logits, 1, 2, 3).reshape({-1}), 0).item());
  }
  CHECK_THROWS_AS((void)example::make_char_model("gru", {.vocab_size = 4}), ValueError);
}
