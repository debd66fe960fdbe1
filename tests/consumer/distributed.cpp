// Links tapegrad::distributed, found with find_package(tapegrad COMPONENTS distributed): the
// library, its MPI and the definition TAPEGRAD_HAS_DISTRIBUTED reach a user's program. Not run
// under mpirun, so it does not start MPI.
#include <cstdio>
#include <nn/distributed/mpi_process_group.hpp>

#if !TAPEGRAD_HAS_DISTRIBUTED
#error "tapegrad::distributed defines TAPEGRAD_HAS_DISTRIBUTED for its users"
#endif

int main() {
  const tg::distributed::MpiOptions options{};
  std::printf("consumer: distributed, launched by mpirun: %s, default timeout %lld ms\n",
              tg::distributed::launched_by_mpirun() ? "yes" : "no", static_cast<long long>(options.timeout.count()));
  return 0;
}
