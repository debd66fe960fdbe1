// The communication layer of data-parallel training: a group of processes (ranks 0..size-1)
// and the collectives that training needs. Training code (DistributedDataParallel, the
// examples) sees only this interface; MpiProcessGroup (mpi_process_group.hpp) implements it
// over MPI, and another backend (Gloo, NCCL) would be one more subclass.
//
// Every collective must be called by every rank of the group, in the same order, with
// tensors of the same shape and dtype (MPI's rule). The asynchronous ones return a Work to
// wait on; the tensor must stay alive and untouched until then.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "tensor/tensor.hpp"

namespace tg::distributed {

enum class ReduceOp { Sum, Min, Max };

// A collective in flight.
class Work {
 public:
  virtual ~Work() = default;
  // Blocks until the collective has finished on this rank. Throws DistributedError when it
  // does not finish within the group's timeout (a peer died or stopped calling collectives).
  virtual void wait() = 0;
  virtual bool is_completed() = 0;  // true once finished; never blocks
};

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;  // "mpi"

  // In place, over a contiguous float32, float64 or int64 tensor: every rank ends with
  // the element-wise reduction of all ranks' tensors, the same bits on every rank.
  virtual std::unique_ptr<Work> allreduce(Tensor& tensor, ReduceOp op = ReduceOp::Sum) = 0;
  // In place: every rank ends with root's tensor.
  virtual std::unique_ptr<Work> broadcast(Tensor& tensor, int root = 0) = 0;
  // Blocking: a new tensor [size(), input.shape...] holding every rank's input in rank order.
  virtual Tensor allgather(const Tensor& input) = 0;
  virtual void barrier() = 0;
  // Ends every rank of the group now (the whole job), with this exit code. For a rank that
  // cannot go on: the others would otherwise wait in their next collective.
  [[noreturn]] virtual void abort(int exit_code) = 0;
};

}  // namespace tg::distributed
