// init_mpi(): MPI's initialization and finalization for the whole process, and the one group
// of all ranks that tapegrad uses.
//
// MPI can be initialized and finalized once per process, and Open MPI complains ("exited
// without calling finalize") about a rank that ends without MPI_Finalize. So the environment
// is a function-local static of init_mpi(): built on the first call, destroyed at normal exit
// (after main returns, or exit()), where it frees the duplicated communicator and then
// finalizes. A user needs no call of their own and cannot finalize twice; and nothing depends
// on when the last copy of the group is released (a group held in a global, or leaked, would
// otherwise finalize late or never). A group used after that point throws DistributedError
// instead of calling MPI. An abnormal end (a signal, std::terminate, abort()) skips it, which
// is right: mpirun then reports the dead rank and ends the others.
#include <mpi.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string_view>

#include "nn/distributed/detail/mpi_communicator.hpp"
#include "nn/distributed/mpi_process_group.hpp"
#include "tensor/error.hpp"

namespace tg::distributed {

namespace {

using detail::Communicator;
using detail::mpi_error_text;

// MpiOptions::timeout, unless TAPEGRAD_DIST_TIMEOUT_MS says otherwise.
std::chrono::milliseconds resolve_timeout(const MpiOptions& options) {
  TG_CHECK(options.timeout.count() > 0, ValueError, "init_mpi: the timeout must be positive, got {} ms",
           options.timeout.count());
  const char* text = std::getenv("TAPEGRAD_DIST_TIMEOUT_MS");
  if (text == nullptr || *text == '\0') return options.timeout;
  const std::string_view value(text);
  std::int64_t ms = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), ms);
  TG_CHECK(error == std::errc() && end == value.data() + value.size() && ms > 0, ValueError,
           "init_mpi: TAPEGRAD_DIST_TIMEOUT_MS must be a positive whole number of milliseconds, got '{}'", value);
  return std::chrono::milliseconds(ms);
}

void check_init(int code, std::string_view call) {
  if (code != MPI_SUCCESS) fail<DistributedError>("init_mpi: {} failed: {}", call, mpi_error_text(code));
}

class Environment {
 public:
  explicit Environment(const MpiOptions& options) {
    const auto timeout = resolve_timeout(options);
    int finalized = 0;
    check_init(MPI_Finalized(&finalized), "MPI_Finalized");
    TG_CHECK(!finalized, DistributedError, "init_mpi: MPI was already finalized in this process");
    int initialized = 0;
    check_init(MPI_Initialized(&initialized), "MPI_Initialized");
    int provided = 0;
    if (initialized) {
      check_init(MPI_Query_thread(&provided), "MPI_Query_thread");  // the program's own MPI: it finalizes it
    } else {
      check_init(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread");
      owns_mpi_ = true;
    }
    if (provided < MPI_THREAD_SERIALIZED) {
      if (owns_mpi_) MPI_Finalize();
      fail<DistributedError>(
          "init_mpi: MPI provides thread level {}, below MPI_THREAD_SERIALIZED ({}), which tapegrad needs to call "
          "MPI from more than one thread",
          provided, MPI_THREAD_SERIALIZED);
    }
    auto communicator = std::make_shared<Communicator>();
    communicator->timeout = timeout;
    // Our own communicator: a message of the user's MPI code can never match one of ours.
    // Its errors are returned (and thrown as DistributedError), not fatal.
    check_init(MPI_Comm_dup(MPI_COMM_WORLD, &communicator->comm), "MPI_Comm_dup");
    check_init(MPI_Comm_set_errhandler(communicator->comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    check_init(MPI_Comm_rank(communicator->comm, &communicator->rank), "MPI_Comm_rank");
    check_init(MPI_Comm_size(communicator->comm, &communicator->size), "MPI_Comm_size");
    communicator_ = communicator;
    group_ = std::make_shared<MpiProcessGroup>(std::move(communicator));
  }
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  // At exit nothing is left to report an error to: the return codes are not checked here.
  ~Environment() {
    std::lock_guard lock(communicator_->mutex);
    communicator_->finalized = true;
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized) return;  // the program finalized its own MPI already (which frees ours)
    MPI_Comm_free(&communicator_->comm);
    if (owns_mpi_) MPI_Finalize();
  }

  std::shared_ptr<ProcessGroup> group() const { return group_; }

 private:
  bool owns_mpi_ = false;
  std::shared_ptr<Communicator> communicator_;
  std::shared_ptr<MpiProcessGroup> group_;
};

}  // namespace

std::shared_ptr<ProcessGroup> init_mpi(MpiOptions options) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  static Environment environment(options);  // see the top of this file
  return environment.group();
}

bool launched_by_mpirun() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

}  // namespace tg::distributed
