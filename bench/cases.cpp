#include "bench/cases.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tg::bench {

double relative_error(const float* got, const float* want, std::int64_t n) {
  double diff = 0, scale = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double d = std::abs(static_cast<double>(got[i]) - static_cast<double>(want[i]));
    diff = std::isnan(d) ? INFINITY : std::max(diff, d);
    scale = std::max(scale, std::abs(static_cast<double>(want[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

std::string verdict(double relative_error, double tolerance) {
  if (relative_error < tolerance) return "ok";
  return fmt::format("FAIL {:.1e}", relative_error);
}

std::string combine(const std::vector<std::string>& verdicts) {
  std::string out;
  for (const std::string& v : verdicts) {
    if (v.empty()) continue;
    if (v != "ok") return v;
    out = v;
  }
  return out;
}

}  // namespace tg::bench
