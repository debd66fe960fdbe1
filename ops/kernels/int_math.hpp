// Integer helpers shared by the kernels' blocking arithmetic.
#pragma once

#include <cstdint>

namespace tg::kernels {

// ceil(a / b) for a >= 0, b > 0.
constexpr std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// The smallest multiple of b that is >= a (a >= 0, b > 0).
constexpr std::int64_t round_up(std::int64_t a, std::int64_t b) { return ceil_div(a, b) * b; }

}  // namespace tg::kernels
