#include "ops/kernels/simd/simd_path.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tensor/error.hpp"

namespace tg::kernels {
namespace {

bool cpu_has_avx512() { return __builtin_cpu_supports("avx512f"); }
bool cpu_has_avx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

SimdPath initial_path() {
  SimdPath path = best_simd_path();
  if (const char* env = std::getenv("TAPEGRAD_SIMD")) {
    const std::string want(env);
    SimdPath forced = path;
    if (want == "portable") forced = SimdPath::portable;
    if (want == "avx2") forced = SimdPath::avx2;
    if (want == "avx512") forced = SimdPath::avx512;
    // A misspelt path would silently test the default one: say so where CI logs show it.
    if (want != "portable" && want != "avx2" && want != "avx512") {
      std::fprintf(stderr, "tapegrad: TAPEGRAD_SIMD=%s is not one of portable, avx2, avx512; ignored\n", env);
    }
    path = std::min(path, forced);
  }
  return path;
}

std::atomic<SimdPath>& current_path() {
  static std::atomic<SimdPath> path{initial_path()};
  return path;
}

}  // namespace

std::string_view to_string(SimdPath path) {
  switch (path) {
    case SimdPath::avx512:
      return "avx512";
    case SimdPath::avx2:
      return "avx2";
    case SimdPath::portable:
      break;
  }
  return "portable";
}

SimdPath best_simd_path() {
  static const SimdPath best = cpu_has_avx512() ? SimdPath::avx512
                               : cpu_has_avx2() ? SimdPath::avx2
                                                : SimdPath::portable;
  return best;
}

SimdPath simd_path() { return current_path().load(std::memory_order_relaxed); }

void set_simd_path(SimdPath path) {
  TG_CHECK(path <= best_simd_path(), ValueError, "set_simd_path: this CPU does not support {} (best: {})",
           to_string(path), to_string(best_simd_path()));
  current_path().store(path, std::memory_order_relaxed);
}

}  // namespace tg::kernels
