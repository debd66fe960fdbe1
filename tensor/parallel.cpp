#include "tensor/parallel.hpp"

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <memory>
#include <mutex>

#include "tensor/error.hpp"

namespace tg {
namespace {
std::mutex g_control_mutex;
std::unique_ptr<tbb::global_control> g_control;
}  // namespace

void set_num_threads(int n) {
  TG_CHECK(n >= 0, ValueError, "set_num_threads: thread count must be >= 0, got {}", n);
  std::lock_guard lock(g_control_mutex);
  g_control.reset();
  if (n > 0) g_control = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, n);
}

int get_num_threads() {
  return static_cast<int>(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
}

void parallel_for(std::int64_t n, std::int64_t grain, const std::function<void(std::int64_t, std::int64_t)>& body) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  if (n <= grain || get_num_threads() == 1) {
    body(0, n);
    return;
  }
  // simple_partitioner splits down to exactly `grain`-sized ranges, independent of threads.
  tbb::parallel_for(
      tbb::blocked_range<std::int64_t>(0, n, grain),
      [&](const tbb::blocked_range<std::int64_t>& r) { body(r.begin(), r.end()); }, tbb::simple_partitioner());
}

}  // namespace tg
