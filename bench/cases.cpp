#include "bench/cases.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace tg::bench {

namespace {

template <class T>
double relative_error_of(const T* got, const T* want, std::int64_t n) {
  double diff = 0, scale = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double d = std::abs(static_cast<double>(got[i]) - static_cast<double>(want[i]));
    diff = std::isnan(d) ? INFINITY : std::max(diff, d);
    scale = std::max(scale, std::abs(static_cast<double>(want[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

// A failing verdict's error ("FAIL 5.9e-02"); infinite for one without a number ("FAIL shape").
double failed_error(const std::string& verdict) {
  char* end = nullptr;
  const double error = std::strtod(verdict.c_str() + 5, &end);
  return end == verdict.c_str() + 5 ? INFINITY : error;
}

}  // namespace

double relative_error(const float* got, const float* want, std::int64_t n) { return relative_error_of(got, want, n); }

double relative_error(const double* got, const double* want, std::int64_t n) { return relative_error_of(got, want, n); }

std::string verdict(double relative_error, double tolerance) {
  if (relative_error < tolerance) return "ok";
  return fmt::format("FAIL {:.1e}", relative_error);
}

std::string combine(const std::vector<std::string>& verdicts) {
  std::string out, worst;
  for (const std::string& v : verdicts) {
    if (v.empty()) continue;
    if (v == "ok") {
      out = v;
    } else if (worst.empty() || failed_error(v) > failed_error(worst)) {
      worst = v;
    }
  }
  return worst.empty() ? out : worst;
}

}  // namespace tg::bench
