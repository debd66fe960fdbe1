// FMA peak: 12 independent accumulator chains in inline assembly, so the compiler can
// neither fold nor shorten the loop. 12 chains cover 2 FMA pipes x 4-cycle latency with
// margin; each iteration is 12 FMAs of W fp32 lanes = 24 W flops (on a CPU without FMA, 12
// SSE multiplies or adds of 4 lanes = 48 flops).
#include "bench/fma_peak.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <vector>

#include "ops/kernels/simd/simd_path.hpp"

namespace tg::bench {
namespace {

#define TG_FMA12(reg)                            \
  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg \
  "0\n\t"                                        \
  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg \
  "1\n\t"                                        \
  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg \
  "2\n\t"                                        \
  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg \
  "3\n\t"                                        \
  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg \
  "4\n\t"                                        \
  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg \
  "5\n\t"                                        \
  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg \
  "6\n\t"                                        \
  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg \
  "7\n\t"                                        \
  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg \
  "8\n\t"                                        \
  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg \
  "9\n\t"                                        \
  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg \
  "10\n\t"                                       \
  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg "11\n\t"

__attribute__((target("avx512f"))) void fma_loop_avx512(std::int64_t iters) {
  asm volatile(
      "vxorps %%xmm12, %%xmm12, %%xmm12\n\t"
      "vxorps %%xmm13, %%xmm13, %%xmm13\n\t"
      "1:\n\t" TG_FMA12("zmm") "dec %0\n\t"
      "jnz 1b\n\t"
      : "+r"(iters)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
        "xmm13", "cc");
}

__attribute__((target("avx2,fma"))) void fma_loop_avx2(std::int64_t iters) {
  asm volatile(
      "vxorps %%xmm12, %%xmm12, %%xmm12\n\t"
      "vxorps %%xmm13, %%xmm13, %%xmm13\n\t"
      "1:\n\t" TG_FMA12("ymm") "dec %0\n\t"
      "jnz 1b\n\t"
      : "+r"(iters)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
        "xmm13", "cc");
}

// x86-64's baseline: 12 chains of an SSE multiply or add (4 lanes), for a CPU without
// AVX2 + FMA, where the portable path is all that runs.
void mul_add_loop_sse(std::int64_t iters) {
  asm volatile(
      "xorps %%xmm12, %%xmm12\n\t"
      "xorps %%xmm13, %%xmm13\n\t"
      "1:\n\t"
      "mulps %%xmm13, %%xmm0\n\t"
      "mulps %%xmm13, %%xmm1\n\t"
      "mulps %%xmm13, %%xmm2\n\t"
      "mulps %%xmm13, %%xmm3\n\t"
      "mulps %%xmm13, %%xmm4\n\t"
      "mulps %%xmm13, %%xmm5\n\t"
      "addps %%xmm12, %%xmm6\n\t"
      "addps %%xmm12, %%xmm7\n\t"
      "addps %%xmm12, %%xmm8\n\t"
      "addps %%xmm12, %%xmm9\n\t"
      "addps %%xmm12, %%xmm10\n\t"
      "addps %%xmm12, %%xmm11\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      : "+r"(iters)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
        "xmm13", "cc");
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

Peak fma_peak_gflops() {
  // The peak of the instruction set tapegrad runs (--isa / TAPEGRAD_SIMD), so the share of
  // peak of an AVX2 run on an AVX-512 CPU is against ymm FMAs. The portable path has no FMA;
  // its share is against the AVX2 peak, the most the CPU's 256-bit units give, or, on a CPU
  // without AVX2 + FMA, against SSE multiplies and adds (an AVX2 loop would stop there with
  // an illegal instruction).
  const bool avx512 = kernels::simd_path() == kernels::SimdPath::avx512;
  const bool sse_only = kernels::best_simd_path() == kernels::SimdPath::portable;
  // flops per iteration: 12 vector FMAs (2 flops per lane), or 12 SSE multiplies or adds of 4 lanes.
  const double iteration_flops = sse_only ? 12.0 * 4.0 : 12.0 * 2.0 * (avx512 ? 16 : 8);
  const std::int64_t iters = 20'000'000;
  std::vector<double> rates, cpu_rates;
  const double flops = static_cast<double>(iters) * iteration_flops;
  for (int rep = 0; rep < 7; ++rep) {
    const double c0 = thread_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    if (sse_only) {
      mul_add_loop_sse(iters);
    } else if (avx512) {
      fma_loop_avx512(iters);
    } else {
      fma_loop_avx2(iters);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rates.push_back(flops / s * 1e-9);
    cpu_rates.push_back(flops / (thread_cpu_seconds() - c0) * 1e-9);
  }
  std::sort(rates.begin(), rates.end());
  std::sort(cpu_rates.begin(), cpu_rates.end());
  return {rates[rates.size() / 2], cpu_rates[cpu_rates.size() / 2]};
}

}  // namespace tg::bench
