// gemm benchmark: measures this machine's FMA peak, then times tg::kernels::gemm (and
// libtorch's torch::mm_out on the same data, when built with libtorch) on square and
// convolution-like shapes for 1 and 2 threads. Reports the median of repeated runs.
//
// Usage: bench_gemm [--threads 1,2] [--min-time 0.3] [--simd portable|avx2|avx512]
#include <dlfcn.h>
#include <xmmintrin.h>
#include <pmmintrin.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "bench/fma_peak.hpp"
#include "ops/kernels/gemm.hpp"
#include "tensor/parallel.hpp"

#ifdef TAPEGRAD_BENCH_TORCH
#include <torch/torch.h>
#endif

namespace {

struct Shape {
  std::int64_t m, n, k;
};

struct Timing {
  double wall;  // median wall-clock seconds per call
  double cpu;   // median process CPU seconds per call (all threads)
};

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// One warm-up call, then repeats until min_time has passed (at least 5 calls). On a
// loaded machine the CPU time still tells how fast the code runs while it has a core.
Timing median_time(const std::function<void()>& run, double min_time) {
  run();
  std::vector<double> walls, cpus;
  double total = 0;
  while (walls.size() < 5 || total < min_time) {
    const double c0 = process_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    run();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    cpus.push_back(process_cpu_seconds() - c0);
    walls.push_back(s);
    total += s;
  }
  std::sort(walls.begin(), walls.end());
  std::sort(cpus.begin(), cpus.end());
  return {walls[walls.size() / 2], cpus[cpus.size() / 2]};
}

std::vector<int> parse_ints(const std::string& s) {
  std::vector<int> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t next = s.find(',', pos);
    if (next == std::string::npos) next = s.size();
    out.push_back(std::stoi(s.substr(pos, next - pos)));
    pos = next + 1;
  }
  return out;
}

#ifdef TAPEGRAD_BENCH_TORCH
// torch::mm goes to the system BLAS; an OpenBLAS built with its own thread pool ignores
// torch::set_num_threads, so set its thread count too when it is the one loaded.
void set_torch_threads(int threads) {
  torch::set_num_threads(threads);
  using SetThreads = void (*)(int);
  if (auto* f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(threads);
}
#endif

// The machine's 1-minute load average (other processes skew every number here).
std::string load_average() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return "unknown";
  char buf[64] = {};
  const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  if (!ok) return "unknown";
  return std::string(buf, std::strcspn(buf, " "));
}

// Wall-clock rate against `threads` x peak; CPU-time rate (flops per busy core-second)
// against the CPU-time peak of one core.
void report(const char* impl, const Shape& s, int threads, const Timing& t, const Timing& peak) {
  const double flops = 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
  const double wall = flops / t.wall * 1e-9, cpu = flops / t.cpu * 1e-9;
  std::printf("%-9s %5lld x %5lld x %5lld  threads %d  %9.3f ms  %7.1f GFLOP/s  %5.1f%% of peak  |  cpu-time %7.1f GFLOP/s/core  %5.1f%%\n",
              impl, static_cast<long long>(s.m), static_cast<long long>(s.n), static_cast<long long>(s.k), threads,
              t.wall * 1e3, wall, 100.0 * wall / (peak.wall * threads), cpu, 100.0 * cpu / peak.cpu);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts{1, 2};
  double min_time = 0.3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--threads") thread_counts = parse_ints(argv[i + 1]);
    if (flag == "--min-time") min_time = std::stod(argv[i + 1]);
    if (flag == "--simd") {
      const std::string v = argv[i + 1];
      tg::kernels::set_gemm_simd_path(v == "portable" ? tg::kernels::SimdPath::portable
                                      : v == "avx2"   ? tg::kernels::SimdPath::avx2
                                                      : tg::kernels::SimdPath::avx512);
    }
  }
  // Flush denormals on both sides (the data here has none; this only removes a variable).
  _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
#ifdef TAPEGRAD_BENCH_TORCH
  at::globalContext().setFlushDenormal(true);
#endif

  const tg::bench::Peak peak = tg::bench::fma_peak_gflops();
  std::printf("fp32 FMA peak (one thread, 12 chains): %.1f GFLOP/s wall, %.1f GFLOP/s cpu-time; gemm path: %s; load average %s\n", peak.wall, peak.cpu,
              std::string(tg::kernels::to_string(tg::kernels::gemm_simd_path())).c_str(), load_average().c_str());

  const std::vector<Shape> shapes{{256, 256, 256},   {512, 512, 512}, {1024, 1024, 1024},
                                  {2048, 2048, 2048}, {64, 400, 120},  {64, 3136, 128}};
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const Shape& s : shapes) {
    std::vector<float> a(static_cast<std::size_t>(s.m * s.k)), b(static_cast<std::size_t>(s.k * s.n));
    std::vector<float> c(static_cast<std::size_t>(s.m * s.n));
    for (float& x : a) x = dist(rng);
    for (float& x : b) x = dist(rng);
    for (int threads : thread_counts) {
      tg::set_num_threads(threads);
      const Timing t_tg = median_time(
          [&] {
            tg::kernels::gemm<float>(s.m, s.n, s.k, 1.0f, a.data(), s.k, 1, b.data(), s.n, 1, 0.0f, c.data(), s.n);
          },
          min_time);
      report("tapegrad", s, threads, t_tg, {peak.wall, peak.cpu});
#ifdef TAPEGRAD_BENCH_TORCH
      set_torch_threads(threads);
      torch::Tensor ta = torch::from_blob(a.data(), {s.m, s.k}, torch::kFloat);
      torch::Tensor tb = torch::from_blob(b.data(), {s.k, s.n}, torch::kFloat);
      torch::Tensor tc = torch::empty({s.m, s.n}, torch::kFloat);
      const Timing t_torch = median_time([&] { torch::mm_out(tc, ta, tb); }, min_time);
      report("torch::mm", s, threads, t_torch, {peak.wall, peak.cpu});
#endif
    }
  }
  std::printf("load average at the end: %s\n", load_average().c_str());
  tg::set_num_threads(0);
  return 0;
}
