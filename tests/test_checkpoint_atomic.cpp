// Checkpoints that cannot be lost or mixed: processes killed while saving always leave the
// previous or the new complete state, concurrent savers to one path never fail.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

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

}  // namespace

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
