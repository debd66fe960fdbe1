// The run-time instruction-set switch of every kernel with per-instruction-set variants
// (gemm, the direct and Winograd convolutions, tiled max pooling, exp): one path for the
// whole process, chosen once from the CPU and the environment, so all kernels of a run
// take the same path and a test run can force a lower one.
#pragma once

#include <string_view>

namespace tg::kernels {

// Instruction-set paths, lowest first.
enum class SimdPath { portable, avx2, avx512 };

std::string_view to_string(SimdPath path);

// The best path this CPU (and OS) supports: avx512 needs AVX-512F, avx2 needs AVX2 + FMA.
SimdPath best_simd_path();

// The path the kernels use: the best supported one, lowered by the environment variable
// TAPEGRAD_SIMD=portable|avx2|avx512 (read once; a path above the best is clamped), or by
// set_simd_path().
SimdPath simd_path();

// Forces a path (for tests and benchmarks); throws tg::ValueError if the CPU lacks it.
void set_simd_path(SimdPath path);

// The one of three implementations (functions, kernel tables) that serves the current path:
// every kernel with per-instruction-set variants dispatches through this.
template <class Impl>
Impl pick_by_simd_path(Impl portable, Impl avx2, Impl avx512) {
  switch (simd_path()) {
    case SimdPath::avx512:
      return avx512;
    case SimdPath::avx2:
      return avx2;
    case SimdPath::portable:
      break;
  }
  return portable;
}

}  // namespace tg::kernels
