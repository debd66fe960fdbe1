// The result table of bench_tapegrad: aligned text, or Markdown for docs/performance.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/cases.hpp"
#include "bench/harness.hpp"

namespace tg::bench {

struct Row {
  std::string name;
  int threads = 1;
  Timing tapegrad;
  std::optional<Timing> torch, blas;
  double work = 0;  // flops or bytes per call
  Bound bound = Bound::flops;
  double bound_rate = 0;  // GFLOP/s (peak x threads) or GB/s the tapegrad rate is compared with
  double cpu_peak = 0;    // one core's peak over CPU time, for the cpu-time column of flops rows
  std::string check;
};

// Rows are printed grouped by thread count, in the order given within a group. The
// libtorch and OpenBLAS columns appear only when some row has them.
void print_table(const std::vector<Row>& rows, bool markdown);

}  // namespace tg::bench
