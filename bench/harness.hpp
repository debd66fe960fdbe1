// What every benchmark here shares: median timing (wall and process CPU time), flag
// parsing, machine facts for the report header, denormal flushing on every thread that
// computes, and the memory bandwidth the elementwise cases are measured against.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace tg::bench {

struct Timing {
  double wall = 0;  // median wall-clock seconds per call
  double cpu = 0;   // median process CPU seconds per call (all threads)
};

double process_cpu_seconds();

// One warm-up call, then repeats until min_time seconds have passed and at least
// min_runs calls were made. On a loaded machine the CPU time still tells how fast the
// code runs while it has a core.
Timing median_time(const std::function<void()>& run, double min_time, int min_runs = 5);

std::vector<int> parse_ints(const std::string& comma_separated);

std::string load_average();  // the 1-minute load average, from /proc/loadavg
std::string cpu_model();     // "model name" of /proc/cpuinfo
std::string env_or(const char* name, const char* fallback);

// Sets FTZ and DAZ in this thread's MXCSR; denormals_flushed() reads them back.
void flush_denormals_this_thread();
bool denormals_flushed();

// Keeps FTZ/DAZ set in every oneTBB worker that joins tapegrad's arena, for as long as
// it lives. Returns how many distinct threads ran a probe loop of tg::parallel_for with
// the flags set, and how many ran it at all.
class TbbDenormalFlush {
 public:
  TbbDenormalFlush();
  ~TbbDenormalFlush();
  TbbDenormalFlush(const TbbDenormalFlush&) = delete;
  TbbDenormalFlush& operator=(const TbbDenormalFlush&) = delete;
  std::pair<int, int> probe() const;

 private:
  struct Observer;
  Observer* observer_;
};

// Copy bandwidth with `threads` threads over 256 MB buffers, counting bytes read plus
// bytes written per second: memcpy (1 read, 1 write) and the stream a[i] = b[i] + c[i]
// (2 reads, 1 write). Split over tg::parallel_for when threads > 1.
struct Bandwidth {
  double memcpy_gbs = 0;
  double stream_gbs = 0;
};
Bandwidth measure_bandwidth(double min_time);

}  // namespace tg::bench
