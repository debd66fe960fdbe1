// Measured FP32 FMA peak of one thread: zmm FMAs on tapegrad's AVX-512 path, ymm otherwise,
// SSE multiplies and adds on a CPU without AVX2 + FMA.
#pragma once

namespace tg::bench {

struct Peak {
  double wall;  // GFLOP/s over wall-clock time
  double cpu;   // GFLOP/s over the thread's CPU time (robust to other processes)
};

// One thread running 12 independent vector FMA chains (median of several runs).
Peak fma_peak_gflops();

}  // namespace tg::bench
