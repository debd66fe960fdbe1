// Small helpers shared by the examples: a progress bar, formatting, training curves as SVG.
// (Flags: CLI11.)
#pragma once

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

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
  // `unit` names the items counted for the rate, e.g. "img/s" or "tok/s". A bar that is not
  // `shown` draws nothing (the other ranks of a distributed run).
  ProgressBar(std::string label, long long total, std::string unit = "img/s", bool shown = true)
      : label_(std::move(label)),
        unit_(std::move(unit)),
        total_(total),
        start_(clock::now()),
        tty_(::isatty(2) != 0),
        shown_(shown) {}

  void update(long long done, const std::string& stats, long long items) {
    if (!shown_) return;
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
    fmt::print(stderr, "{}{} [{}{}] {}/{} {} | {:.0f} {} | {} {}{}", tty_ ? "\r" : "", label_,
               std::string(static_cast<std::size_t>(filled), '='),
               std::string(static_cast<std::size_t>(width - filled), ' '), done, total_, stats, rate, unit_,
               last ? "took" : "ETA", format_duration(last ? elapsed : eta), tty_ ? "\x1b[K" : "\n");
    if (last && tty_) fmt::print(stderr, "\n");
  }

 private:
  using clock = std::chrono::steady_clock;
  std::string label_, unit_;
  long long total_;
  clock::time_point start_, last_draw_{};
  bool tty_;
  bool shown_;
  long long last_decile_ = -1;
};

struct Series {
  std::string name;
  std::vector<double> values;  // one per epoch
  std::string color;
};
struct Panel {
  std::string title;
  std::vector<Series> series;
};

// Side-by-side line charts over epochs 1..n, one panel each, as a standalone SVG file.
inline void write_curves_svg(const std::string& path, const std::vector<Panel>& panels) {
  const double W = 420, H = 300, L = 55, R = 15, T = 30, B = 40;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      W * static_cast<double>(panels.size()), H);
  for (std::size_t p = 0; p < panels.size(); ++p) {
    const double x0 = W * static_cast<double>(p);
    const auto& series = panels[p].series;
    double lo = 1e300, hi = -1e300;
    std::size_t n = 0;
    for (const auto& s : series) {
      n = std::max(n, s.values.size());
      for (double v : s.values) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    if (n == 0) continue;
    if (hi - lo < 1e-9) hi = lo + 1e-3;
    const double pad = 0.05 * (hi - lo);
    lo -= pad;
    hi += pad;
    auto px = [&](std::size_t i) {
      return x0 + L + (n > 1 ? (W - L - R) * static_cast<double>(i) / static_cast<double>(n - 1) : (W - L - R) / 2);
    };
    auto py = [&](double v) { return T + (H - T - B) * (hi - v) / (hi - lo); };
    svg += fmt::format("<text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">{}</text>\n", x0 + W / 2,
                       panels[p].title);
    svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>\n", x0 + L,
                       T, W - L - R, H - T - B);
    for (int k = 0; k <= 4; ++k) {
      const double v = lo + (hi - lo) * k / 4.0;
      svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:.3f}</text>\n", x0 + L - 4, py(v) + 4, v);
    }
    for (std::size_t i = 0; i < n; ++i)
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", px(i), H - B + 15, i + 1);
    svg +=
        fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">epoch</text>\n", x0 + L + (W - L - R) / 2, H - 8);
    for (std::size_t s = 0; s < series.size(); ++s) {
      std::string pts;
      for (std::size_t i = 0; i < series[s].values.size(); ++i)
        pts += fmt::format("{:.1f},{:.1f} ", px(i), py(series[s].values[i]));
      svg += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n", series[s].color,
                         pts);
      for (std::size_t i = 0; i < series[s].values.size(); ++i)
        svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", px(i),
                           py(series[s].values[i]), series[s].color);
      svg += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"{}\">{}</text>\n", x0 + L + 8,
                         T + 14 + 14 * static_cast<double>(s), series[s].color, series[s].name);
    }
  }
  svg += "</svg>\n";
  std::ofstream(path) << svg;
}

}  // namespace example
