// Thread settings and the parallel loop every kernel uses (oneTBB underneath).
#pragma once

#include <cstdint>
#include <functional>

namespace tg {

// Caps the threads oneTBB may use (tbb::global_control); 0 restores the default (all cores).
void set_num_threads(int n);
int get_num_threads();

// Runs body(begin, end) over [0, n) in chunks of at least `grain` iterations; serial when
// n <= grain. Chunk boundaries never depend on the thread count, so a body that writes
// disjoint outputs gives the same bits for any number of threads.
void parallel_for(std::int64_t n, std::int64_t grain, const std::function<void(std::int64_t, std::int64_t)>& body);

// parallel_for when `parallel`, else body(0, n) on the calling thread: the loops of a task
// that runs either alone, with the threads to itself, or beside other tasks, one per thread.
template <class Body>
void parallel_for_if(bool parallel, std::int64_t n, std::int64_t grain, Body&& body) {
  if (parallel) {
    parallel_for(n, grain, body);
  } else {
    body(0, n);
  }
}

}  // namespace tg
