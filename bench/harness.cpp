#include "bench/harness.hpp"

#include <pmmintrin.h>
#include <tbb/task_scheduler_observer.h>
#include <xmmintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "tensor/parallel.hpp"

namespace tg::bench {

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

Timing median_time(const std::function<void()>& run, double min_time, int min_runs) {
  run();
  std::vector<double> walls, cpus;
  double total = 0;
  while (static_cast<int>(walls.size()) < min_runs || total < min_time) {
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

std::string load_average() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return "unknown";
  char buf[64] = {};
  const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  if (!ok) return "unknown";
  return std::string(buf, std::strcspn(buf, " "));
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, name = "unknown", family, model;
  // The first processor's fields (a VM's model name can be as vague as "AMD EPYC").
  while (std::getline(in, line) && !line.empty()) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::size_t start = line.find_first_not_of(' ', colon + 1);
    const std::string value = start == std::string::npos ? "" : line.substr(start);
    if (line.rfind("model name", 0) == 0) name = value;
    if (line.rfind("cpu family", 0) == 0) family = value;
    if (line.rfind("model\t", 0) == 0) model = value;
  }
  return family.empty() ? name : name + " (family " + family + ", model " + model + ")";
}

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string(fallback);
}

void flush_denormals_this_thread() {
  _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
}

bool denormals_flushed() {
  return _MM_GET_FLUSH_ZERO_MODE() == _MM_FLUSH_ZERO_ON && _MM_GET_DENORMALS_ZERO_MODE() == _MM_DENORMALS_ZERO_ON;
}

struct TbbDenormalFlush::Observer : tbb::task_scheduler_observer {
  Observer() { observe(true); }
  ~Observer() override { observe(false); }
  void on_scheduler_entry(bool /*is_worker*/) override { flush_denormals_this_thread(); }
};

TbbDenormalFlush::TbbDenormalFlush() : observer_(new Observer) {}
TbbDenormalFlush::~TbbDenormalFlush() { delete observer_; }

std::pair<int, int> TbbDenormalFlush::probe() const {
  std::mutex m;
  std::set<std::thread::id> seen, flushed;
  tg::parallel_for(256, 1, [&](std::int64_t, std::int64_t) {
    // Long enough per chunk that idle workers wake up and take part.
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
    while (std::chrono::steady_clock::now() < until) {
    }
    std::lock_guard lock(m);
    seen.insert(std::this_thread::get_id());
    if (denormals_flushed()) flushed.insert(std::this_thread::get_id());
  });
  return {static_cast<int>(flushed.size()), static_cast<int>(seen.size())};
}

Bandwidth measure_bandwidth(double min_time) {
  constexpr std::size_t kBytes = std::size_t{256} << 20;
  constexpr std::size_t kFloats = kBytes / sizeof(float);
  constexpr std::int64_t kChunks = 64;  // fixed partition, as the kernels use
  constexpr std::size_t kChunk = kFloats / kChunks;
  // Value-initialised, so every page is touched before timing.
  std::vector<float> a(kFloats), b(kFloats, 1.0f), c(kFloats, 2.0f);
  const Timing copy = median_time(
      [&] {
        tg::parallel_for(kChunks, 1, [&](std::int64_t lo, std::int64_t hi) {
          for (std::int64_t i = lo; i < hi; ++i)
            std::memcpy(a.data() + static_cast<std::size_t>(i) * kChunk,
                        b.data() + static_cast<std::size_t>(i) * kChunk, kChunk * sizeof(float));
        });
      },
      min_time, 7);
  const Timing stream = median_time(
      [&] {
        tg::parallel_for(kChunks, 1, [&](std::int64_t lo, std::int64_t hi) {
          float* __restrict pa = a.data();
          const float* __restrict pb = b.data();
          const float* __restrict pc = c.data();
          const std::size_t begin = static_cast<std::size_t>(lo) * kChunk, end = static_cast<std::size_t>(hi) * kChunk;
          for (std::size_t i = begin; i < end; ++i) pa[i] = pb[i] + pc[i];
        });
      },
      min_time, 7);
  if (a[kFloats - 1] != 3.0f) std::fprintf(stderr, "bandwidth: stream result wrong\n");
  return {2.0 * kBytes / copy.wall * 1e-9, 3.0 * kBytes / stream.wall * 1e-9};
}

}  // namespace tg::bench
