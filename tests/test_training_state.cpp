// save_training_state / load_training_state: one file restores model, optimizer, progress
// and random streams; anything that does not fit is a typed error that changes nothing.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "tapegrad.hpp"
#include "test_nn_util.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

struct Net : Module {
  std::shared_ptr<Linear> fc;
  std::shared_ptr<Dropout> drop;
  explicit Net(std::int64_t width = 6) : Module("Net") {
    fc = register_module("fc", std::make_shared<Linear>(4, width, LinearOptions{.dtype = DType::Float64}));
    drop = register_module("drop", std::make_shared<Dropout>(0.5));
  }
  Tensor forward(const Tensor& x) override { return drop->forward(fc->forward(x)); }
};

void train_steps(Net& net, Optimizer& opt, int steps) {
  for (int i = 0; i < steps; ++i) {
    opt.zero_grad();
    sum(net(ones({3, 4}, {.dtype = DType::Float64}))).backward();
    opt.step();
  }
}

std::vector<double> values(const Module& m) {
  std::vector<double> out;
  for (const auto& [n, t] : m.named_state())
    for (double v : t.to_vector()) out.push_back(v);
  return out;
}

}  // namespace

TEST_CASE("a training state resumes bit for bit: weights, optimizer, progress, random streams") {
  nn_test::TempDir dir;
  const std::string path = dir.file("state.safetensors");
  manual_seed(1);
  Net a;
  Adam opt_a(a.parameters(), {.lr = 0.01});
  train_steps(a, opt_a, 3);
  save_training_state(path, a, opt_a, {.epoch = 2, .step = 3}, {{"note", "hello"}});
  // The uninterrupted run continues...
  train_steps(a, opt_a, 2);
  const std::vector<double> want = values(a);
  const std::vector<double> want_rand = rand({5}).to_vector();

  // ... and a run built from another seed, resumed from the file, continues identically.
  manual_seed(99);
  Net b;
  Adam opt_b(b.parameters(), {.lr = 0.5});
  const LoadedTrainingState loaded = load_training_state(path, b, opt_b);
  CHECK(loaded.progress.epoch == 2);
  CHECK(loaded.progress.step == 3);
  CHECK(loaded.metadata == Metadata{{"note", "hello"}});
  CHECK(opt_b.lr() == 0.01);
  train_steps(b, opt_b, 2);
  CHECK(values(b) == want);
  CHECK(rand({5}).to_vector() == want_rand);
}

TEST_CASE("load_training_state rejects files that are not a training state, or do not fit, and changes nothing") {
  nn_test::TempDir dir;
  manual_seed(2);
  Net net;
  SGD sgd(net.parameters(), {.lr = 0.1, .momentum = 0.9});
  train_steps(net, sgd, 1);
  save_module(net, dir.file("model.safetensors"));
  save_optimizer(sgd, dir.file("optimizer.safetensors"));
  save_training_state(dir.file("state.safetensors"), net, sgd, {.epoch = 1, .step = 1});
  const std::vector<double> before = values(net);

  // The old two-file checkpoint: no way to know the two files belong together.
  std::string msg =
      nn_test::error_of<ValueError>([&] { load_training_state(dir.file("model.safetensors"), net, sgd); });
  CHECK(msg.find("not a training state") != std::string::npos);
  // Another optimizer kind.
  Adam adam(net.parameters());
  msg = nn_test::error_of<ValueError>([&] { load_training_state(dir.file("state.safetensors"), net, adam); });
  CHECK(msg.find("holds SGD state, not Adam") != std::string::npos);
  // Another model shape: nothing of the optimizer or the model is touched.
  Net wide(7);
  SGD sgd_wide(wide.parameters(), {.lr = 0.3, .momentum = 0.9});
  const std::vector<double> wide_before = values(wide);
  msg = nn_test::error_of<ValueError>([&] { load_training_state(dir.file("state.safetensors"), wide, sgd_wide); });
  CHECK(msg.find("'fc.weight': model has float64 [7, 4], file has float64 [6, 4]") != std::string::npos);
  CHECK(values(wide) == wide_before);
  CHECK(sgd_wide.lr() == 0.3);
  CHECK(sgd_wide.state_dict().size() == 1);  // only "lr": no momentum buffers were loaded
  // Reserved metadata keys.
  CHECK_THROWS_AS(save_training_state(dir.file("x.safetensors"), net, sgd, {}, {{"tapegrad.epoch", "5"}}), ValueError);
  CHECK(values(net) == before);
}

TEST_CASE("load_training_state rejects a damaged generator state or progress entry") {
  nn_test::TempDir dir;
  manual_seed(4);
  Net net;
  SGD sgd(net.parameters(), {.lr = 0.1});
  save_training_state(dir.file("state.safetensors"), net, sgd, {.epoch = 1, .step = 2});
  const SafetensorsContents good = load_safetensors(dir.file("state.safetensors"));
  const std::vector<std::pair<std::string, std::string>> damages = {
      {"tapegrad.rng", "123"},     {"tapegrad.rng", "1:2:0"},    {"tapegrad.rng", "1:2:0:3"},  // even increment
      {"tapegrad.rng", "1:3:2:0"}, {"tapegrad.rng", "1:3:0:0:"}, {"tapegrad.rng.drop.generator", "zz:1:0:0"},
      {"tapegrad.epoch", "-1"},    {"tapegrad.step", "2x"},
  };
  for (const auto& [key, value] : damages) {
    CAPTURE(key);
    CAPTURE(value);
    Metadata meta;
    for (const auto& [k, v] : good.metadata)
      if (k != "tapegrad.crc32") meta.emplace_back(k, k == key ? value : v);
    save_safetensors(dir.file("damaged.safetensors"), good.tensors, meta);
    const std::vector<double> before = values(net);
    CHECK_THROWS_AS(load_training_state(dir.file("damaged.safetensors"), net, sgd), ValueError);
    CHECK(values(net) == before);
  }
}

TEST_CASE("Module::named_generators lists Dropout streams by dotted name") {
  manual_seed(3);
  Net net;
  const auto gens = net.named_generators();
  REQUIRE(gens.size() == 1);
  CHECK(gens[0].first == "drop.generator");
}

TEST_CASE("Generator::fork gives distinct reproducible streams; get_state/set_state replays") {
  Generator parent(5);
  Generator a = parent.fork(), b = parent.fork();
  Generator parent2(5);
  Generator a2 = parent2.fork();
  const Generator::State saved = a.get_state();
  std::vector<std::uint32_t> from_a, from_b, from_a2;
  for (int i = 0; i < 8; ++i) {
    from_a.push_back(a.next_u32());
    from_b.push_back(b.next_u32());
    from_a2.push_back(a2.next_u32());
  }
  CHECK(from_a == from_a2);
  CHECK(from_a != from_b);
  a.set_state(saved);
  for (int i = 0; i < 8; ++i) CHECK(a.next_u32() == from_a[static_cast<std::size_t>(i)]);
  CHECK_THROWS_AS(a.set_state({.state = 1, .increment = 2}), ValueError);
  // A seed alone (no stream) still gives the sequence it always did: the default stream.
  CHECK(Generator(7).get_state() == Generator(7, Generator::kDefaultStream).get_state());
}
