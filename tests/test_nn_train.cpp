// End to end: a small CNN learns a synthetic two-class image task; runs are repeatable.
#include <doctest/doctest.h>

#include "tapegrad.hpp"
#include "test_nn_util.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

// Class 0: a bright vertical bar, class 1: a bright horizontal bar, at random positions,
// plus noise. 8x8 images.
TensorDataset bars(std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  Tensor x = empty({n, 1, 8, 8});
  Tensor y = empty({n}, {.dtype = i64});
  float* px = x.data<float>();
  std::int64_t* py = y.data<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t cls = gen.integer(0, 2), pos = gen.integer(1, 7);
    py[i] = cls;
    for (std::int64_t r = 0; r < 8; ++r)
      for (std::int64_t c = 0; c < 8; ++c) {
        const bool on = cls == 0 ? c == pos : r == pos;
        px[(i * 8 + r) * 8 + c] = static_cast<float>((on ? 1.0 : 0.0) + 0.3 * gen.normal());
      }
  }
  return TensorDataset(x, y);
}

struct TinyCnn : Module {
  std::shared_ptr<Sequential> body;
  explicit TinyCnn(double dropout = 0.1) : Module("TinyCnn") {
    body = register_module("body", std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
                                       std::make_shared<Conv2d>(1, 4, 3, Conv2dLayerOptions{.padding = 1}),
                                       std::make_shared<BatchNorm2d>(4), std::make_shared<ReLU>(),
                                       std::make_shared<MaxPool2d>(), std::make_shared<Flatten>(),
                                       std::make_shared<Dropout>(dropout, 3), std::make_shared<Linear>(64, 2)}));
  }
  Tensor forward(const Tensor& x) override { return body->forward(x); }
};

struct RunResult {
  double first_loss, last_loss, accuracy;
};

RunResult train_run(std::uint64_t seed) {
  manual_seed(seed);
  TinyCnn net;
  AdamW opt(net.parameters(), {.lr = 0.01});
  DataLoader loader(bars(256, 1), {.batch_size = 32, .shuffle = true, .seed = seed});
  std::vector<double> losses;
  for (int epoch = 0; epoch < 3; ++epoch) {
    for (const Batch& b : loader) {
      opt.zero_grad();
      Tensor loss = cross_entropy(net(b.data), b.target);
      loss.backward();
      opt.step();
      losses.push_back(loss.item());
    }
  }
  net.eval();
  NoGradGuard no_grad;
  const TensorDataset test = bars(200, 2);
  const auto pred = argmax(net(test.data()), 1).to_vector();
  const auto truth = test.targets().to_vector();
  double correct = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) correct += pred[i] == truth[i];
  const auto mean_of = [&](std::size_t from) {
    double s = 0;
    for (std::size_t i = from; i < from + 4; ++i) s += losses[i];
    return s / 4;
  };
  return {mean_of(0), mean_of(losses.size() - 4), correct / static_cast<double>(pred.size())};
}

}  // namespace

TEST_CASE("nn train: a small CNN learns, and the same seed repeats bit for bit") {
  const RunResult a = train_run(42);
  CHECK(a.last_loss < 0.5 * a.first_loss);
  CHECK(a.accuracy > 0.9);
  const RunResult b = train_run(42);
  CHECK(a.last_loss == b.last_loss);
  CHECK(a.accuracy == b.accuracy);
}

namespace {

// Trains `epochs` epochs starting at `first_epoch` (the loader order depends on the epoch).
void train_epochs(TinyCnn& net, Adam& opt, DataLoader& loader, int first_epoch, int epochs) {
  for (int e = first_epoch; e < first_epoch + epochs; ++e) {
    loader.set_epoch(e);
    for (const Batch& b : loader) {
      opt.zero_grad();
      cross_entropy(net(b.data), b.target).backward();
      opt.step();
    }
  }
}

}  // namespace

TEST_CASE("nn train: save after one epoch, load into fresh objects, resume: identical to an uninterrupted run") {
  nn_test::TempDir dir;
  DataLoader loader(bars(96, 4), {.batch_size = 32, .shuffle = true, .seed = 8});
  manual_seed(5);
  TinyCnn straight(0.0);
  Adam opt_straight(straight.parameters(), {.lr = 0.01});
  train_epochs(straight, opt_straight, loader, 0, 2);

  manual_seed(5);
  TinyCnn first(0.0);
  Adam opt_first(first.parameters(), {.lr = 0.01});
  train_epochs(first, opt_first, loader, 0, 1);
  save_module(first, dir.file("model.safetensors"));
  save_optimizer(opt_first, dir.file("opt.safetensors"));

  manual_seed(99);  // different initial weights: everything must come from the files
  TinyCnn resumed(0.0);
  Adam opt_resumed(resumed.parameters(), {.lr = 0.01});
  load_module(resumed, dir.file("model.safetensors"));
  load_optimizer(opt_resumed, dir.file("opt.safetensors"));
  train_epochs(resumed, opt_resumed, loader, 1, 1);
  const auto a = straight.named_state(), b = resumed.named_state();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    CHECK_MESSAGE(a[i].second.to_vector() == b[i].second.to_vector(), a[i].first);
}
