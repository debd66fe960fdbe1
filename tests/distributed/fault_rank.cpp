// A job in which rank 1 fails in the middle of a loop of allreduces, for fault_check.sh: the
// other rank must end with a clear error within a bounded time, not hang.
// Usage (under mpirun, 2 ranks): tapegrad_fault_rank --kill | --throw | --stall | --none
//   --kill   rank 1 is killed (SIGKILL): mpirun reports it and ends rank 0
//   --throw  rank 1 throws a tg::Error nobody catches (std::terminate): the same
//   --stall  rank 1 stops calling collectives: rank 0's wait times out after 2 s, it prints
//            the DistributedError and aborts the job
//   --none   no fault: the job ends normally, and MPI is finalized at exit by itself
#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string_view>
#include <thread>

#include "nn/distributed/mpi_process_group.hpp"
#include "tensor/parallel.hpp"
#include "tensor/tensor.hpp"

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  if (mode != "--kill" && mode != "--throw" && mode != "--stall" && mode != "--none") {
    std::fprintf(stderr, "usage: tapegrad_fault_rank --kill|--throw|--stall|--none\n");
    return 2;
  }
  tg::set_num_threads(1);
  // --stall relies on the timeout; elsewhere mpirun must be the one to end rank 0.
  const auto timeout = mode == "--stall" ? std::chrono::seconds(2) : std::chrono::seconds(30);
  const auto group = tg::distributed::init_mpi({.timeout = timeout});
  const int rank = group->rank();
  try {
    for (int step = 0; step < 20; ++step) {
      if (rank == 1 && step == 5) {
        if (mode == "--kill") std::raise(SIGKILL);
        if (mode == "--throw") throw tg::Error("fault_rank: rank 1 throws at step 5 (--throw)");
        if (mode == "--stall") {
          std::fprintf(stderr, "fault_rank: rank 1 stops calling collectives at step 5 (--stall)\n");
          std::this_thread::sleep_for(std::chrono::minutes(2));
        }
      }
      tg::Tensor t = tg::full({1000}, step + rank);
      group->allreduce(t)->wait();
    }
    group->barrier();
  } catch (const tg::DistributedError& e) {
    std::fprintf(stderr, "fault_rank: rank %d: %s\n", rank, e.what());
    group->abort(3);
  }
  if (rank == 0) std::fprintf(stderr, "fault_rank: done\n");
  return 0;
}
