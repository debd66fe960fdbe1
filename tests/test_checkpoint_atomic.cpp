// Checkpoints that cannot be lost or mixed: processes killed while saving always leave the
// previous or the new complete state, concurrent savers to one path never fail.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tapegrad.hpp"
#include "test_nn_util.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

// State k of a small "model": every value is k, so a file mixing two states shows.
std::vector<NamedTensor> state(double k) {
  return {{"a", full({64, 64}, k, {.dtype = DType::Float64})}, {"b", full({300}, k, {.dtype = DType::Float32})}};
}

// The single value every tensor of the file holds; fails the test if they differ.
double uniform_value(const std::vector<NamedTensor>& tensors) {
  REQUIRE(!tensors.empty());
  const double first = tensors.front().second.to_vector().front();
  for (const auto& [name, t] : tensors)
    for (double v : t.to_vector()) REQUIRE_MESSAGE(v == first, name, " mixes states ", first, " and ", v);
  return first;
}

// Runs body in a forked child; the child's exit status is 0 iff body returned without throwing.
// The children here touch only small tensors, which never reach the thread pool (not forked).
pid_t spawn(const std::function<void()>& body) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int status = 0;
    try {
      body();
    } catch (...) {
      status = 1;
    }
    ::_exit(status);
  }
  return pid;
}

int exit_status(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A model with a dropout stream, an SGD optimizer, and "state k": every parameter k, the
// learning rate k, the progress {k, 10 k}. A file whose parts disagree mixes two saves.
struct Run {
  std::shared_ptr<Sequential> model;
  std::unique_ptr<SGD> optimizer;
  explicit Run(std::uint64_t seed) {
    manual_seed(seed);
    model = std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
        std::make_shared<Linear>(64, 64, LinearOptions{.dtype = DType::Float64}), std::make_shared<Dropout>(0.5)});
    optimizer = std::make_unique<SGD>(model->parameters(), SGDOptions{.lr = 0.1});
  }
  void set(std::int64_t k) {
    for (const Tensor& p : model->parameters()) raw::copy_into(p, full_like(p, static_cast<double>(k)));
    optimizer->set_lr(static_cast<double>(k));
  }
  void save(const std::string& path, std::int64_t k) {
    set(k);
    save_training_state(path, *model, *optimizer, {.epoch = k, .step = 10 * k});
  }
  // Loads `path` and returns its k after checking that every part holds that same k.
  std::int64_t load_consistent(const std::string& path) {
    const LoadedTrainingState loaded = load_training_state(path, *model, *optimizer);
    const std::int64_t k = loaded.progress.epoch;
    CHECK(loaded.progress.step == 10 * k);
    CHECK(optimizer->lr() == static_cast<double>(k));
    for (const Tensor& p : model->parameters()) {
      for (double v : p.to_vector()) REQUIRE(v == static_cast<double>(k));
    }
    return k;
  }
};

}  // namespace

TEST_CASE("a process killed at a random moment while saving leaves the previous or the new training state") {
  nn_test::TempDir dir;
  const std::string path = dir.file("state.safetensors");
  Generator delays(20261202);
  Run run(1);
  std::int64_t previous = 0;
  run.save(path, previous);
  for (int round = 0; round < 20; ++round) {
    CAPTURE(round);
    const pid_t child = spawn([&] {
      for (std::int64_t k = previous + 1;; ++k) run.save(path, k);
    });
    ::usleep(static_cast<useconds_t>(delays.integer(0, 30000)));  // 0-30 ms: before, during or between saves
    REQUIRE(::kill(child, SIGKILL) == 0);
    CHECK(exit_status(child) == 128 + SIGKILL);
    Run fresh(2);
    const std::int64_t k = fresh.load_consistent(path);
    CHECK(k >= previous);  // never an older state than the last one completed
    previous = k;
  }
  MESSAGE("saves completed over the 20 rounds: ", previous);
}

TEST_CASE("two processes saving to one path concurrently: no failure, one complete state") {
  nn_test::TempDir dir;
  const std::string path = dir.file("shared.safetensors");
  for (int round = 0; round < 5; ++round) {
    CAPTURE(round);
    auto saver = [&](double k) {
      return spawn([&path, k] {
        for (int i = 0; i < 40; ++i) save_safetensors(path, state(k));
      });
    };
    const pid_t a = saver(1.0), b = saver(2.0);
    CHECK(exit_status(a) == 0);
    CHECK(exit_status(b) == 0);
    const double k = uniform_value(load_safetensors(path).tensors);
    CHECK((k == 1.0 || k == 2.0));
  }
  // Every temporary file was renamed or removed.
  std::int64_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.str())) files += e.is_regular_file();
  CHECK(files == 1);
}

TEST_CASE("two processes saving training states to one path concurrently: one complete state") {
  nn_test::TempDir dir;
  const std::string path = dir.file("state.safetensors");
  Run run(3);
  const pid_t a = spawn([&] {
    for (int i = 0; i < 30; ++i) run.save(path, 1);
  });
  const pid_t b = spawn([&] {
    for (int i = 0; i < 30; ++i) run.save(path, 2);
  });
  CHECK(exit_status(a) == 0);
  CHECK(exit_status(b) == 0);
  Run fresh(4);
  const std::int64_t k = fresh.load_consistent(path);
  CHECK((k == 1 || k == 2));
}
