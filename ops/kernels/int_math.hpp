// Integer helpers shared by the kernels' blocking arithmetic.
#pragma once

#include <algorithm>
#include <cstdint>

namespace tg::kernels {

// ceil(a / b) for a >= 0, b > 0.
constexpr std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// The smallest multiple of b that is >= a (a >= 0, b > 0).
constexpr std::int64_t round_up(std::int64_t a, std::int64_t b) { return ceil_div(a, b) * b; }

// [0, n) cut into `parts` near-equal runs of whole units (the last one clipped to n): where
// run t begins, n for t = parts (n >= 0, unit > 0, 0 <= t <= parts).
constexpr std::int64_t run_begin(std::int64_t n, std::int64_t unit, std::int64_t parts, std::int64_t t) {
  return std::min(n, t * ceil_div(n, unit) / parts * unit);
}

}  // namespace tg::kernels
