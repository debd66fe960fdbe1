// Internal to the MPI backend (not installed: it includes <mpi.h>): the state that
// MpiProcessGroup, its Works and the process-wide MPI environment share.
#pragma once

#include <mpi.h>

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "nn/distributed/mpi_process_group.hpp"
#include "tensor/error.hpp"

namespace tg::distributed {

struct MpiProcessGroup::Communicator {
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0;
  int size = 1;
  std::chrono::milliseconds timeout{};
  // We ask for MPI_THREAD_SERIALIZED: every MPI call holds this lock.
  std::mutex mutex;
  // Set at exit, when MPI is finalized; a group kept alive past that point throws instead.
  bool finalized = false;
  // Buffers of collectives given up on (a Work destroyed after its wait timed out): MPI may
  // still write into them, so they stay allocated for the life of the process.
  std::vector<Tensor> orphaned_buffers;
};

namespace detail {

using Communicator = MpiProcessGroup::Communicator;

inline std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return fmt::format("MPI error code {}", code);
  return std::string(text, static_cast<std::size_t>(length));
}

// `what` describes the collective ("allreduce (sum) of 1234 float32 elements").
inline void check_mpi(int code, std::string_view call, std::string_view what, const Communicator& c) {
  if (code != MPI_SUCCESS)
    fail<DistributedError>("{} failed on rank {} of {}: {}: {}", what, c.rank, c.size, call, mpi_error_text(code));
}

// Called with the lock held, before any MPI call.
inline void check_alive(const Communicator& c, std::string_view what) {
  TG_CHECK(!c.finalized, DistributedError, "{}: MPI was already finalized (at exit) on rank {} of {}", what, c.rank,
           c.size);
}

}  // namespace detail

}  // namespace tg::distributed
