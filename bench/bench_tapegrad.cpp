// tapegrad against libtorch (and OpenBLAS for gemm) on the same data in the same process:
// convolutions (forward, input gradient, weight gradient, all three), gemm, one LeNet-5
// SGD step, and memory-bound elementwise ops and a reduction. Prints the machine's FMA
// peak and copy bandwidth first, then one table: median wall time of each side, the
// libtorch / tapegrad time ratio, tapegrad's rate and its share of the peak (or of the
// measured bandwidth), and a correctness check of tapegrad's result against the others.
//
// Usage: bench_tapegrad [--threads 1,2] [--min-time 0.3] [--filter substring] [--markdown]
//                       [--simd portable|avx2|avx512] [--blas-threads n]
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bench/cases.hpp"
#include "bench/fma_peak.hpp"
#include "bench/harness.hpp"
#include "bench/table.hpp"
#include "bench/torch_util.hpp"
#include "ops/kernels/simd/simd_path.hpp"
#include "tensor/error.hpp"
#include "tensor/parallel.hpp"

namespace {

using namespace tg::bench;

struct Flags {
  std::vector<int> threads{1, 2};
  double min_time = 0.3;
  std::string filter;
  bool markdown = false;
  int blas_threads = 0;  // OpenBLAS's threads; 0: the same as the others
};

void usage() {
  std::fputs(
      "usage: bench_tapegrad [--threads 1,2] [--min-time 0.3] [--filter substring] [--markdown]\n"
      "                      [--simd portable|avx2|avx512] [--blas-threads n]\n",
      stderr);
}

bool parse(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--markdown") {
      f.markdown = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string value = argv[++i];
    if (flag == "--threads") {
      f.threads = parse_ints(value);
    } else if (flag == "--min-time") {
      f.min_time = std::stod(value);
    } else if (flag == "--blas-threads") {
      f.blas_threads = std::stoi(value);
    } else if (flag == "--filter") {
      f.filter = value;
    } else if (flag == "--simd") {
      using tg::kernels::SimdPath;
      tg::kernels::set_simd_path(value == "portable" ? SimdPath::portable
                                 : value == "avx2"   ? SimdPath::avx2
                                                     : SimdPath::avx512);
    } else {
      return false;
    }
  }
  return !f.threads.empty();
}

// A string-returning function of the OpenBLAS that is loaded (ours or libtorch's), if any.
std::string openblas_string(const char* symbol) {
  using Fn = char* (*)();
  auto* fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, symbol));
  return fn != nullptr ? std::string(fn()) : std::string();
}

#ifdef TAPEGRAD_BENCH_TORCH
// The ISA of ATen's own vectorised kernels (elementwise, reductions), as libtorch reports it:
// the line "CPU capability usage: AVX2" of at::show_config(). ATEN_CPU_CAPABILITY sets it.
std::string aten_capability() {
  const std::string config = at::show_config();
  const std::string key = "CPU capability usage: ";
  const auto at = config.find(key);
  if (at == std::string::npos) return "ATen CPU capability unknown";
  const auto begin = at + key.size();
  return "ATen kernels " + config.substr(begin, config.find('\n', begin) - begin);
}
#endif

// The same thread count on every side, then FTZ/DAZ on each side's threads. Returns a
// line saying on how many threads the flags were seen set.
std::string set_threads(int threads, int blas_threads, const TbbDenormalFlush& tbb_flush) {
  tg::set_num_threads(threads);
  // OpenBLAS (behind torch::mm and the OpenBLAS column) keeps its own thread pool and
  // ignores torch::set_num_threads.
  using SetThreads = void (*)(int);
  if (auto* f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    f(blas_threads > 0 ? blas_threads : threads);
  const auto [tbb_ok, tbb_seen] = tbb_flush.probe();
  std::string s =
      "FTZ/DAZ set on " + std::to_string(tbb_ok) + "/" + std::to_string(tbb_seen) + " tapegrad (oneTBB) threads";
#ifdef TAPEGRAD_BENCH_TORCH
  const int torch_ok = set_torch_threads(threads, &flush_denormals_this_thread, &denormals_flushed);
  s += ", " + std::to_string(torch_ok) + "/" + std::to_string(threads) + " libtorch (OpenMP) threads";
#endif
  return s;
}

void print_header(const Flags& f, const Peak& peak) {
  std::printf("cpu: %s (%u logical CPUs), load average %s\n", cpu_model().c_str(), std::thread::hardware_concurrency(),
              load_average().c_str());
  std::printf("tapegrad SIMD path: %s (TAPEGRAD_SIMD=%s); threads:",
              std::string(tg::kernels::to_string(tg::kernels::simd_path())).c_str(),
              env_or("TAPEGRAD_SIMD", "(unset)").c_str());
  for (int t : f.threads) std::printf(" %d", t);
  std::printf("\n");
#ifdef TAPEGRAD_BENCH_TORCH
  std::printf("libtorch %s: %s; oneDNN capped by DNNL_MAX_CPU_ISA=%s\n", TORCH_VERSION, aten_capability().c_str(),
              env_or("DNNL_MAX_CPU_ISA", env_or("ONEDNN_MAX_CPU_ISA", "(unset)").c_str()).c_str());
#else
  std::printf("libtorch: not found at build time (tapegrad columns only)\n");
#endif
  const std::string config = openblas_string("openblas_get_config");
  if (!config.empty()) {
    std::printf("OpenBLAS: %s, kernels for %s; OPENBLAS_CORETYPE=%s\n", config.c_str(),
                openblas_string("openblas_get_corename").c_str(), env_or("OPENBLAS_CORETYPE", "(unset)").c_str());
  }
  std::printf("fp32 FMA peak, one thread: %.1f GFLOP/s wall, %.1f GFLOP/s cpu-time\n", peak.wall, peak.cpu);
}

bool matches(const std::string& name, const std::string& filter) {
  return filter.empty() || name.find(filter) != std::string::npos;
}

bool group_matches(const CaseGroup& g, const std::string& filter) {
  return std::any_of(g.names.begin(), g.names.end(), [&](const std::string& n) { return matches(n, filter); });
}

int run(const Flags& f) {
  std::vector<CaseGroup> groups;
  for (auto* cases : {&conv_cases, &fft_conv_cases, &gemm_cases, &lenet_cases, &resnet_cases, &memory_cases,
                      &data_cases, &sequence_op_cases, &sequence_layer_cases, &char_lm_cases})
    for (CaseGroup& g : cases())
      if (group_matches(g, f.filter)) groups.push_back(std::move(g));
  if (groups.empty()) {
    std::fprintf(stderr, "no case matches --filter '%s'\n", f.filter.c_str());
    return 1;
  }

  // Flush denormals on both sides (the inputs are normal numbers; this removes a variable).
  flush_denormals_this_thread();
  TbbDenormalFlush tbb_flush;
#ifdef TAPEGRAD_BENCH_TORCH
  at::globalContext().setFlushDenormal(true);
#endif
  const Peak peak = fma_peak_gflops();
  print_header(f, peak);

  std::map<int, Bandwidth> bandwidth;
  for (int t : f.threads) {
    const std::string flushed = set_threads(t, f.blas_threads, tbb_flush);
    bandwidth[t] = measure_bandwidth(f.min_time);
    std::printf("threads %d: memcpy %.1f GB/s, stream a=b+c %.1f GB/s (bytes read + written); %s\n", t,
                bandwidth[t].memcpy_gbs, bandwidth[t].stream_gbs, flushed.c_str());
  }
  std::fflush(stdout);

  std::vector<Row> rows;
  for (const CaseGroup& g : groups) {
    for (const Variant& v : g.make()) {
      if (!matches(v.name, f.filter)) continue;
      const std::string check = v.check ? v.check() : "";
      for (int t : f.threads) {
        set_threads(t, f.blas_threads, tbb_flush);
        Row r{.name = v.name,
              .threads = t,
              .tapegrad = {},
              .torch = {},
              .blas = {},
              .work = v.work,
              .bound = v.bound,
              .cpu_peak = peak.cpu,
              .check = check};
        r.bound_rate = v.bound == Bound::flops    ? peak.wall * t
                       : v.bound == Bound::memcpy ? bandwidth[t].memcpy_gbs
                                                  : bandwidth[t].stream_gbs;
        // A pause before each side lets the other side's worker threads stop spinning
        // (oneTBB, OpenMP and OpenBLAS all spin for a while after a parallel region).
        const auto timed = [&](const std::function<void()>& fn) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          return median_time(fn, f.min_time);
        };
        r.tapegrad = timed(v.tapegrad);
        if (v.torch) r.torch = timed(v.torch);
        if (v.blas) r.blas = timed(v.blas);
        std::fprintf(stderr, "[%d thread%s] %-40s tapegrad %9.3f ms", t, t > 1 ? "s" : "", v.name.c_str(),
                     r.tapegrad.wall * 1e3);
        if (r.torch) std::fprintf(stderr, "  libtorch %9.3f ms", r.torch->wall * 1e3);
        if (r.blas) std::fprintf(stderr, "  OpenBLAS %9.3f ms", r.blas->wall * 1e3);
        std::fprintf(stderr, "  %s\n", check.empty() ? "-" : check.c_str());
        rows.push_back(std::move(r));
      }
    }
  }
  std::printf("\n");
  print_table(rows, f.markdown);
  std::printf("\nload average at the end: %s\n", load_average().c_str());
  tg::set_num_threads(0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  try {
    if (!parse(argc, argv, flags)) {
      usage();
      return 2;
    }
    return run(flags);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
