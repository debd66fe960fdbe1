// Small helpers shared by the examples: a progress bar, formatting. (Flags: CLI11.)
#pragma once

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace example {

inline std::string format_duration(double seconds) {
  const long long s = static_cast<long long>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                   : fmt::format("{}:{:02}", s / 60, s % 60);
}

// A one-line progress bar on stderr, redrawn at most 10 times a second on a terminal
// (and every 10% otherwise, so logs stay short).
class ProgressBar {
 public:
  ProgressBar(std::string label, long long total)
      : label_(std::move(label)), total_(total), start_(clock::now()), tty_(::isatty(2) != 0) {}

  void update(long long done, const std::string& stats, long long items) {
    const auto now = clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const bool last = done >= total_;
    if (tty_) {
      if (!last && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
    } else if (!last && done * 10 / total_ == last_decile_) {
      return;
    }
    last_draw_ = now;
    last_decile_ = done * 10 / total_;
    const int width = 24;
    const int filled = static_cast<int>(width * done / total_);
    const double rate = elapsed > 0 ? static_cast<double>(items) / elapsed : 0.0;
    const double eta = done > 0 ? elapsed * static_cast<double>(total_ - done) / static_cast<double>(done) : 0.0;
    fmt::print(stderr, "{}{} [{}{}] {}/{} {} | {:.0f} img/s | {} {}{}", tty_ ? "\r" : "", label_,
               std::string(static_cast<std::size_t>(filled), '='),
               std::string(static_cast<std::size_t>(width - filled), ' '), done, total_, stats, rate,
               last ? "took" : "ETA", format_duration(last ? elapsed : eta), tty_ ? "\x1b[K" : "\n");
    if (last && tty_) fmt::print(stderr, "\n");
  }

 private:
  using clock = std::chrono::steady_clock;
  std::string label_;
  long long total_;
  clock::time_point start_, last_draw_{};
  bool tty_;
  long long last_decile_ = -1;
};

}  // namespace example
