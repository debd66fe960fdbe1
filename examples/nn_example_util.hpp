// Small helpers shared by the examples: flag parsing, a progress bar, formatting.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

namespace example {

// --name value / --name=value / --flag. Unknown flags are an error listing the known ones.
class Flags {
 public:
  Flags(int argc, char** argv, std::map<std::string, std::string> defaults, std::vector<std::string> switches)
      : values_(std::move(defaults)), switches_(std::move(switches)) {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        help_ = true;
        continue;
      }
      if (arg.rfind("--", 0) != 0) fail("unexpected argument '" + arg + "'");
      arg = arg.substr(2);
      std::string value;
      const auto eq = arg.find('=');
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
      if (is_switch(arg)) {
        set_[arg] = true;
        continue;
      }
      if (values_.count(arg) == 0) fail("unknown flag --" + arg);
      if (eq == std::string::npos) {
        if (i + 1 >= argc) fail("flag --" + arg + " needs a value");
        value = argv[++i];
      }
      values_[arg] = value;
    }
  }
  bool help() const { return help_; }
  std::string str(const std::string& name) const { return values_.at(name); }
  long long integer(const std::string& name) const { return std::stoll(values_.at(name)); }
  double real(const std::string& name) const { return std::stod(values_.at(name)); }
  bool on(const std::string& name) const { return set_.count(name) != 0; }
  std::string usage() const {
    std::string s;
    for (const auto& [k, v] : values_) s += fmt::format("  --{} <value>   (default: {})\n", k, v.empty() ? "\"\"" : v);
    for (const auto& k : switches_) s += fmt::format("  --{}\n", k);
    return s;
  }

 private:
  bool is_switch(const std::string& name) const {
    for (const auto& s : switches_)
      if (s == name) return true;
    return false;
  }
  [[noreturn]] void fail(const std::string& msg) const {
    fmt::print(stderr, "error: {}\nflags:\n{}", msg, usage());
    std::exit(2);
  }
  std::map<std::string, std::string> values_;
  std::vector<std::string> switches_;
  std::map<std::string, bool> set_;
  bool help_ = false;
};

inline std::string format_duration(double seconds) {
  const long long s = static_cast<long long>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60) : fmt::format("{}:{:02}", s / 60, s % 60);
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
               std::string(static_cast<std::size_t>(filled), '='), std::string(static_cast<std::size_t>(width - filled), ' '),
               done, total_, stats, rate, last ? "took" : "ETA", format_duration(last ? elapsed : eta),
               tty_ ? "\x1b[K" : "\n");
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
