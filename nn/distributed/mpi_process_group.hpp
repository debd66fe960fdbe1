// The MPI backend of ProcessGroup. Launch the program with mpirun (mpiexec); every rank calls
// init_mpi() once and gets the group of all ranks:
//
//   auto group = tg::distributed::init_mpi();
//   group->allreduce(grad)->wait();
//
// This header does not include <mpi.h> (the MPI state lives in the .cpp), so that code
// including it needs no MPI headers; only linking tapegrad::distributed needs MPI.
//
// The environment variable TAPEGRAD_DIST_TIMEOUT_MS, if set, replaces MpiOptions::timeout
// (milliseconds, a positive integer): the same program can then be run with a short timeout
// in tests and a long one in training, without a rebuild.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "nn/distributed/process_group.hpp"

namespace tg::distributed {

struct MpiOptions {
  // How long Work::wait() (and allgather, barrier) lets one collective run before it throws
  // DistributedError. Long by default: a slow rank (a checkpoint being written, a data set
  // being loaded) is not a dead one.
  std::chrono::milliseconds timeout = std::chrono::minutes(30);
};

// Initializes MPI once per process (MPI_Init_thread asking for MPI_THREAD_SERIALIZED, from
// the environment mpirun sets) and returns the group of every rank; later calls return the
// same group and ignore their options. MPI is finalized at normal exit (after main returns
// or exit()); a program that initialized MPI itself keeps it, and finalizes it itself.
// Throws DistributedError if MPI cannot provide the thread level or was already finalized.
std::shared_ptr<ProcessGroup> init_mpi(MpiOptions options = {});

// True when mpirun/mpiexec (Open MPI, or any PMI/PMIx launcher) started this process: its
// environment holds OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK. A program can use it to
// pick distributed training without a flag.
bool launched_by_mpirun();

// Collectives over a private duplicate of MPI_COMM_WORLD, so that the user's own MPI calls
// never match tapegrad's. Made by init_mpi(). Every MPI error becomes a DistributedError
// naming the collective, dtype, element count, rank and size. The group may be called from
// any thread, one call at a time (calls are serialized inside).
class MpiProcessGroup : public ProcessGroup {
 public:
  struct Communicator;  // the MPI communicator and its lock (in the .cpp)

  explicit MpiProcessGroup(std::shared_ptr<Communicator> communicator);
  ~MpiProcessGroup() override;
  MpiProcessGroup(const MpiProcessGroup&) = delete;
  MpiProcessGroup& operator=(const MpiProcessGroup&) = delete;

  int rank() const override;
  int size() const override;
  std::string backend() const override { return "mpi"; }
  std::chrono::milliseconds timeout() const;

  std::unique_ptr<Work> allreduce(Tensor& tensor, ReduceOp op = ReduceOp::Sum) override;
  std::unique_ptr<Work> broadcast(Tensor& tensor, int root = 0) override;
  Tensor allgather(const Tensor& input) override;
  void barrier() override;
  [[noreturn]] void abort(int exit_code) override;

 private:
  std::shared_ptr<Communicator> communicator_;
};

}  // namespace tg::distributed
