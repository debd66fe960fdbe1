// The distributed tests run under mpirun (see CMakeLists.txt): every rank runs every test
// case, in the same order, since each collective needs every rank. Rank 0 prints doctest's
// report; another rank's report is printed only when it failed there, each line prefixed with
// its rank. The exit code is nonzero on every rank when any rank failed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "dist_test_util.hpp"
#include "tensor/parallel.hpp"
#include "tensor/tensor.hpp"

namespace {
std::shared_ptr<tg::distributed::ProcessGroup> group;
}

tg::distributed::ProcessGroup& test_group() { return *group; }

int main(int argc, char** argv) {
  tg::set_num_threads(1);  // the ranks share the machine's cores: one thread each
  // Short enough that a test which leaves the ranks out of step fails within the CTest
  // timeout, long enough for a loaded machine under the sanitizers.
  group = tg::distributed::init_mpi({.timeout = std::chrono::seconds(20)});
  const int rank = group->rank();

  doctest::Context context(argc, argv);
  std::ostringstream report;
  if (rank != 0) context.setCout(&report);
  const int result = context.run();
  if (context.shouldExit()) return result;

  tg::Tensor failed = tg::from_vector(std::vector<std::int64_t>{result != 0 ? 1 : 0});
  group->allreduce(failed)->wait();
  const auto failed_ranks = failed.item<std::int64_t>();
  if (result != 0 && rank != 0) {
    std::istringstream lines(report.str());
    for (std::string line; std::getline(lines, line);) std::cerr << "[rank " << rank << "] " << line << '\n';
  }
  if (rank == 0 && failed_ranks > 0)
    std::cerr << "tapegrad_distributed_tests: failures on " << failed_ranks << " of " << group->size() << " ranks\n";
  group.reset();
  return failed_ranks > 0 ? 1 : 0;
}
