// Measured FP32 FMA peak of one thread (AVX-512 if the CPU has it, else AVX2).
#pragma once

namespace tg::bench {

// GFLOP/s of one thread running 12 independent vector FMA chains (median of several runs).
double fma_peak_gflops();

}  // namespace tg::bench
