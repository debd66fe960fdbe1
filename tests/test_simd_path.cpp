// The SIMD path a run uses is the one TAPEGRAD_SIMD asks for (clamped to what the CPU
// has): the sanitizer suite runs once per path on every host, and must run what it says.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "ops/kernels/simd/simd_path.hpp"

using namespace tg::kernels;

TEST_CASE("TAPEGRAD_SIMD selects the run-time SIMD path") {
  const char* env = std::getenv("TAPEGRAD_SIMD");
  const SimdPath best = best_simd_path();
  INFO("best path on this CPU: ", std::string(to_string(best)), ", TAPEGRAD_SIMD=", env ? env : "(unset)");
  if (env == nullptr) {
    CHECK(simd_path() == best);
    return;
  }
  const std::string want(env);
  SimdPath expected = best;
  if (want == "portable") expected = SimdPath::portable;
  if (want == "avx2" && best >= SimdPath::avx2) expected = SimdPath::avx2;
  CHECK(simd_path() == expected);
  MESSAGE("SIMD path under test: ", std::string(to_string(simd_path())));
}
