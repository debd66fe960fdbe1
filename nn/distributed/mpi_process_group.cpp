// MpiProcessGroup: the collectives of ProcessGroup over MPI's nonblocking collectives (MPI
// itself is set up by init_mpi, in mpi_environment.cpp).
//
// Determinism. The sum of floats depends on the order of its terms, so an allreduce is
// reproducible only if its reduction order is a function of (rank, size, count, dtype) and not
// of which message arrives first; and every rank must end with the same bits. With Open MPI
// 4.1 both hold without any setting:
// - MPI_Iallreduce is served by coll/libnbc, the only component that provides nonblocking
//   collectives here. On our communicator (2 ranks, `--mca coll_base_verbose 100`) Open MPI
//   enables tuned (priority 30, blocking collectives only), basic and libnbc (10), and keeps
//   adapt and sm disabled (priority 0) and han disqualified ("comm has only local processes";
//   its priority is 0 too, see `ompi_info --param coll all --level 9`). With libnbc excluded
//   (`--mca coll ^libnbc`) MPI_Init fails: no component can serve MPI_Iallgather.
// - libnbc's nbc_iallreduce.c picks the algorithm from the group size, the message size, the
//   op's commutativity and MPI_IN_PLACE, all equal on every rank and every run; an in-place
//   call (ours, always) gets the binomial schedule (allred_sched_diss): in round r, rank
//   vrank receives from the fixed peer vrank + 2^(r-1) and reduces only once that receive is
//   done (the schedule's barrier), so the tree and the order of the terms are fixed; rank 0
//   then broadcasts the result, so every rank holds rank 0's bits. The other algorithms one
//   can force (coll_libnbc_iallreduce_algorithm: ring, rabenseifner, recursive doubling) are
//   fixed schedules as well.
// tests/distributed/test_collectives.cpp checks both properties (same bits on every rank,
// same bits over repeated runs).
#include "nn/distributed/mpi_process_group.hpp"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "nn/distributed/detail/mpi_communicator.hpp"
#include "tensor/error.hpp"

namespace tg::distributed {

using detail::check_alive;
using detail::check_mpi;
using detail::Communicator;

namespace {

using Clock = std::chrono::steady_clock;

// A collective in flight: its request, and the tensors MPI reads and writes until it is done.
class MpiWork final : public Work {
 public:
  MpiWork(std::shared_ptr<Communicator> communicator, MPI_Request request, std::vector<Tensor> buffers,
          std::string what)
      : communicator_(std::move(communicator)),
        request_(request),
        buffers_(std::move(buffers)),
        what_(std::move(what)) {}
  MpiWork(const MpiWork&) = delete;
  MpiWork& operator=(const MpiWork&) = delete;

  // MPI forbids freeing or cancelling the request of a collective in flight, and the buffers
  // must outlive it: a Work dropped unwaited is waited for here. If that fails (or already
  // timed out once), the buffers are kept for the life of the process instead.
  ~MpiWork() override {
    if (request_ == MPI_REQUEST_NULL) return;
    if (!timed_out_) {
      try {
        wait();
        return;
      } catch (const Error&) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
      }
    }
    std::lock_guard lock(communicator_->mutex);
    for (auto& buffer : buffers_) communicator_->orphaned_buffers.push_back(std::move(buffer));
  }

  // MPI_Test drives the progress of libnbc's schedules (a round starts only when some MPI call
  // of this rank notices that the previous one is done), so a wait polls it as MPI_Wait
  // would, without yielding: on a loaded machine a yield or a sleep hands the core to another
  // process for a whole time slice, and a 4 KB allreduce took 4 ms instead of 20 us. Only a
  // wait that has already lasted a second (a slow peer, not a slow collective) sleeps between
  // polls, up to 1 ms, to leave the cores to the peers.
  void wait() override {
    const Communicator& c = *communicator_;
    const auto start = Clock::now();
    auto pause = std::chrono::microseconds(50);
    while (!test()) {
      const auto elapsed = Clock::now() - start;
      if (elapsed >= c.timeout) {
        timed_out_ = true;
        fail<DistributedError>(
            "{} did not complete within {} ms on rank {} of {}: a peer died or stopped calling collectives", what_,
            c.timeout.count(), c.rank, c.size);
      }
      if (elapsed >= std::chrono::seconds(1)) {
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::microseconds(1000));
      }
    }
  }

  bool is_completed() override { return request_ == MPI_REQUEST_NULL || test(); }

 private:
  bool test() {
    if (request_ == MPI_REQUEST_NULL) return true;
    int done = 0;
    {
      std::lock_guard lock(communicator_->mutex);
      check_alive(*communicator_, what_);
      check_mpi(MPI_Test(&request_, &done, MPI_STATUS_IGNORE), "MPI_Test", what_, *communicator_);
    }
    if (done) {
      request_ = MPI_REQUEST_NULL;
      buffers_.clear();
    }
    return done != 0;
  }

  std::shared_ptr<Communicator> communicator_;
  MPI_Request request_;
  std::vector<Tensor> buffers_;
  std::string what_;
  bool timed_out_ = false;
};

// The MPI type of a dtype; bool only where the collective just copies (as bytes).
MPI_Datatype mpi_type(const Tensor& tensor, std::string_view op, bool arithmetic) {
  switch (tensor.dtype()) {
    case DType::Float32:
      return MPI_FLOAT;
    case DType::Float64:
      return MPI_DOUBLE;
    case DType::Int64:
      return MPI_INT64_T;
    case DType::Bool:
      if (!arithmetic) return MPI_BYTE;
      break;
  }
  fail<DTypeError>("{}: float32, float64 and int64 tensors can be reduced, got a {} tensor of shape {}", op,
                   tensor.dtype(), tensor.shape());
}

// The element count as MPI takes it (an int).
int checked_count(const Tensor& tensor, std::string_view op) {
  TG_CHECK(tensor.numel() <= INT_MAX, ValueError,
           "{}: a tensor of shape {} has {} elements, more than one MPI call carries ({}); split it", op,
           tensor.shape(), tensor.numel(), INT_MAX);
  return static_cast<int>(tensor.numel());
}

// Collectives that work in place write the tensor's own memory: a strided view would need a
// copy and a copy back, which the caller should see and choose.
void check_in_place(const Tensor& tensor, std::string_view op) {
  TG_CHECK(tensor.defined(), ValueError, "{}: the tensor is undefined", op);
  TG_CHECK(tensor.is_contiguous(), ValueError,
           "{}: works in place on a contiguous tensor; got shape {} with strides {} (pass x.contiguous() and copy "
           "the result back)",
           op, tensor.shape(), tensor.strides());
}

std::string_view op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum:
      return "sum";
    case ReduceOp::Min:
      return "min";
    case ReduceOp::Max:
      return "max";
  }
  return "?";
}

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum:
      return MPI_SUM;
    case ReduceOp::Min:
      return MPI_MIN;
    case ReduceOp::Max:
      return MPI_MAX;
  }
  fail<ValueError>("allreduce: unknown ReduceOp {}", static_cast<int>(op));
}

// Starts a collective: `start` makes the MPI call (under the lock) and fills the request.
template <class Start>
std::unique_ptr<MpiWork> start_collective(const std::shared_ptr<Communicator>& communicator, std::string_view call,
                                          std::string what, std::vector<Tensor> buffers, Start start) {
  MPI_Request request = MPI_REQUEST_NULL;
  {
    std::lock_guard lock(communicator->mutex);
    check_alive(*communicator, what);
    check_mpi(start(communicator->comm, &request), call, what, *communicator);
  }
  return std::make_unique<MpiWork>(communicator, request, std::move(buffers), std::move(what));
}

}  // namespace

MpiProcessGroup::MpiProcessGroup(std::shared_ptr<Communicator> communicator) : communicator_(std::move(communicator)) {}
MpiProcessGroup::~MpiProcessGroup() = default;

int MpiProcessGroup::rank() const { return communicator_->rank; }
int MpiProcessGroup::size() const { return communicator_->size; }
std::chrono::milliseconds MpiProcessGroup::timeout() const { return communicator_->timeout; }

std::unique_ptr<Work> MpiProcessGroup::allreduce(Tensor& tensor, ReduceOp op) {
  check_in_place(tensor, "allreduce");
  const MPI_Datatype type = mpi_type(tensor, "allreduce", true);
  const int count = checked_count(tensor, "allreduce");
  std::string what = fmt::format("allreduce ({}) of {} {} elements", op_name(op), count, tensor.dtype());
  tensor.bump_version();  // written in place
  void* data = tensor.raw_data();
  return start_collective(communicator_, "MPI_Iallreduce", std::move(what), {tensor},
                          [&](MPI_Comm comm, MPI_Request* request) {
                            return MPI_Iallreduce(MPI_IN_PLACE, data, count, type, mpi_op(op), comm, request);
                          });
}

std::unique_ptr<Work> MpiProcessGroup::broadcast(Tensor& tensor, int root) {
  check_in_place(tensor, "broadcast");
  TG_CHECK(root >= 0 && root < size(), IndexError, "broadcast: root {} is out of range for a group of {} ranks", root,
           size());
  const MPI_Datatype type = mpi_type(tensor, "broadcast", false);
  const int count = checked_count(tensor, "broadcast");
  std::string what = fmt::format("broadcast from rank {} of {} {} elements", root, count, tensor.dtype());
  tensor.bump_version();
  void* data = tensor.raw_data();
  return start_collective(
      communicator_, "MPI_Ibcast", std::move(what), {tensor},
      [&](MPI_Comm comm, MPI_Request* request) { return MPI_Ibcast(data, count, type, root, comm, request); });
}

Tensor MpiProcessGroup::allgather(const Tensor& input) {
  TG_CHECK(input.defined(), ValueError, "allgather: the tensor is undefined");
  const MPI_Datatype type = mpi_type(input, "allgather", false);
  const int count = checked_count(input, "allgather");
  const int n = size();
  const auto gather = [&](const Tensor& send, const Tensor& receive, int elements, MPI_Datatype element_type,
                          std::string what) {
    start_collective(communicator_, "MPI_Iallgather", std::move(what), {send, receive},
                     [&](MPI_Comm comm, MPI_Request* request) {
                       return MPI_Iallgather(send.raw_data(), elements, element_type, receive.raw_data(), elements,
                                             element_type, comm, request);
                     })
        ->wait();
  };

  // Every rank's dtype and shape first, so that ranks that disagree all throw the same error
  // instead of exchanging mismatched byte counts: [dtype, ndim] from each, then the shapes
  // padded to the largest ndim.
  const auto ndim = static_cast<std::int64_t>(input.shape().size());
  const Tensor header = from_vector(std::vector<std::int64_t>{static_cast<std::int64_t>(input.dtype()), ndim});
  const Tensor headers = empty({n, 2}, {.dtype = DType::Int64});
  gather(header, headers, 2, MPI_INT64_T, "allgather (dtypes and ranks of the inputs)");
  const std::int64_t* h = headers.data<std::int64_t>();
  std::int64_t max_ndim = 0;
  for (int r = 0; r < n; ++r) max_ndim = std::max(max_ndim, h[2 * r + 1]);
  std::vector<std::int64_t> padded(input.shape());
  padded.resize(static_cast<std::size_t>(max_ndim), 0);
  const Tensor dims = from_vector(padded, {max_ndim});
  const Tensor all_dims = empty({n, max_ndim}, {.dtype = DType::Int64});
  gather(dims, all_dims, static_cast<int>(max_ndim), MPI_INT64_T, "allgather (shapes of the inputs)");
  const std::int64_t* d = all_dims.data<std::int64_t>();
  const auto shape_of = [&](int r) { return Shape(d + r * max_ndim, d + r * max_ndim + h[2 * r + 1]); };
  const auto dtype_of_rank = [&](int r) { return static_cast<DType>(h[2 * r]); };
  for (int r = 1; r < n; ++r) {
    TG_CHECK(dtype_of_rank(r) == dtype_of_rank(0) && shape_of(r) == shape_of(0), DistributedError,
             "allgather: rank 0 passed a {} tensor of shape {}, rank {} a {} tensor of shape {}: every rank must "
             "pass the same shape and dtype",
             dtype_of_rank(0), shape_of(0), r, dtype_of_rank(r), shape_of(r));
  }

  Shape out_shape{n};
  out_shape.insert(out_shape.end(), input.shape().begin(), input.shape().end());
  const Tensor out = empty(out_shape, {.dtype = input.dtype()});
  gather(raw::contiguous(input), out, count, type,
         fmt::format("allgather of {} {} elements per rank", count, input.dtype()));
  return out;
}

void MpiProcessGroup::barrier() {
  start_collective(communicator_, "MPI_Ibarrier", "barrier", {}, [](MPI_Comm comm, MPI_Request* request) {
    return MPI_Ibarrier(comm, request);
  })->wait();
}

// No lock: the caller gives up on the job, and another thread may be inside a wait.
void MpiProcessGroup::abort(int exit_code) {
  if (!communicator_->finalized) MPI_Abort(communicator_->comm, exit_code);
  std::_Exit(exit_code);  // MPI_Abort does not return; if it did, this process still ends
}

}  // namespace tg::distributed
