// NumPy-style printing of tensors:
//   tensor([[1., 2.],
//           [3., 4.]], shape=[2, 2], dtype=float32)
// Floats share one layout per tensor (NumPy's default "maxprec" mode): each value is printed
// with the fewest digits that identify it, at most `precision` after the point, and all
// values are padded to a common width; scientific notation is used when the magnitudes
// are >= 1e8, < 1e-4 or span more than three decades. Tensors with more than `threshold`
// elements show only `edgeitems` at each end of every long dim, with "..." between.
//
// fmt::format("{}", t) and `os << t` print with the defaults; "{:.3}" sets the precision.
// Shapes print through fmt/ranges as [2, 3].
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "tensor/tensor.hpp"

namespace tg {

struct PrintOptions {
  int precision = 8;              // at most this many digits after the point (0..40)
  std::int64_t threshold = 1000;  // summarise tensors with more elements than this
  std::int64_t edgeitems = 3;     // items shown at each end of a summarised dim
  std::int64_t linewidth = 75;    // wrap rows longer than this
};

std::string to_string(const Tensor& t, const PrintOptions& options = {});
std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace tg

template <>
struct fmt::formatter<tg::Tensor> {
  int precision = -1;  // -1: PrintOptions' default

  constexpr auto parse(fmt::format_parse_context& ctx) -> decltype(ctx.begin()) {
    auto it = ctx.begin();
    if (it != ctx.end() && *it == '.') {
      ++it;
      precision = 0;
      if (it == ctx.end() || *it < '0' || *it > '9') throw fmt::format_error("tg::Tensor: expected digits after '.'");
      while (it != ctx.end() && *it >= '0' && *it <= '9' && precision < 1000)
        precision = precision * 10 + (*it++ - '0');
    }
    if (it != ctx.end() && *it != '}') throw fmt::format_error("tg::Tensor: the only format spec is .precision");
    return it;
  }

  auto format(const tg::Tensor& t, fmt::format_context& ctx) const -> decltype(ctx.out()) {
    tg::PrintOptions options;
    if (precision >= 0) options.precision = precision;
    const std::string s = tg::to_string(t, options);
    return std::copy(s.begin(), s.end(), ctx.out());
  }
};
