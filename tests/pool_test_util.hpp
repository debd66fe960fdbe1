// Helpers shared by the pooling tests: a naive max-pooling oracle written independently of
// the library kernels (plain loops over std::vector), inputs with ties and NaNs, and a
// tolerance comparison that matches NaNs and infinities exactly.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace pool_test {

using namespace tg;

// Output length along one axis (PyTorch's rule): the dilated window fits the padded input;
// in ceil mode a last partial window counts if it starts inside the input or left padding.
inline std::int64_t pooled_size(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p, std::int64_t d,
                                bool ceil) {
  const std::int64_t room = in + 2 * p - d * (k - 1) - 1;
  std::int64_t out = (ceil ? (room + s - 1) / s : room / s) + 1;
  if (ceil && (out - 1) * s >= in + p) --out;
  return out;
}

struct Planes {
  std::int64_t planes, h, w, oh, ow;
};

inline Planes planes_of(const Shape& xs, const Pool2dOptions& o) {
  const std::int64_t sh = o.stride.h == 0 ? o.kernel_size.h : o.stride.h;
  const std::int64_t sw = o.stride.w == 0 ? o.kernel_size.w : o.stride.w;
  return {xs[0] * xs[1], xs[2], xs[3], pooled_size(xs[2], o.kernel_size.h, sh, o.padding.h, o.dilation.h, o.ceil_mode),
          pooled_size(xs[3], o.kernel_size.w, sw, o.padding.w, o.dilation.w, o.ceil_mode)};
}

// Naive max pooling: taps in row-major window order; the first maximum wins, a NaN wins
// and stays; -inf and index -1 for a window without input elements.
inline void naive_max_pool(const std::vector<double>& x, const Shape& xs, const Pool2dOptions& o,
                           std::vector<double>& y, std::vector<std::int64_t>& idx) {
  const Planes g = planes_of(xs, o);
  const std::int64_t sh = o.stride.h == 0 ? o.kernel_size.h : o.stride.h;
  const std::int64_t sw = o.stride.w == 0 ? o.kernel_size.w : o.stride.w;
  y.assign(static_cast<std::size_t>(g.planes * g.oh * g.ow), 0.0);
  idx.assign(y.size(), 0);
  for (std::int64_t p = 0; p < g.planes; ++p) {
    for (std::int64_t i = 0; i < g.oh; ++i) {
      for (std::int64_t j = 0; j < g.ow; ++j) {
        double best = -std::numeric_limits<double>::infinity();
        std::int64_t at = -1;
        for (std::int64_t u = 0; u < o.kernel_size.h; ++u) {
          for (std::int64_t v = 0; v < o.kernel_size.w; ++v) {
            const std::int64_t r = i * sh - o.padding.h + u * o.dilation.h;
            const std::int64_t q = j * sw - o.padding.w + v * o.dilation.w;
            if (r < 0 || r >= g.h || q < 0 || q >= g.w) continue;
            const double val = x[static_cast<std::size_t>((p * g.h + r) * g.w + q)];
            const bool first = at < 0;
            if (first || (!std::isnan(best) && (val > best || std::isnan(val)))) {
              best = val;
              at = r * g.w + q;
            }
          }
        }
        const auto k = static_cast<std::size_t>((p * g.oh + i) * g.ow + j);
        y[k] = best;
        idx[k] = at;
      }
    }
  }
}

// got == want within tol (relative), NaNs and infinities matched exactly.
inline void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol,
                        const std::string& what) {
  INFO(what);
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      REQUIRE_MESSAGE(std::isnan(got[i]), "element ", i);
    } else if (std::isinf(want[i])) {
      REQUIRE_MESSAGE(got[i] == want[i], "element ", i);
    } else {
      REQUIRE_MESSAGE(std::abs(got[i] - want[i]) <= tol * (1.0 + std::abs(want[i])), "element ", i, ": got ", got[i],
                      ", want ", want[i]);
    }
  }
}

// Inputs for one configuration: small integers (many ties) or uniform values, with a few
// NaNs when asked.
inline Tensor pool_input(const Shape& xs, DType dtype, Generator& gen, bool ties, bool nans) {
  Tensor x = ties ? randint(0, 4, xs, gen).clone_as(dtype) : uniform(xs, -1.0, 1.0, gen, {.dtype = dtype});
  if (nans) {
    std::vector<double> v = x.to_vector();
    for (std::size_t i = 3; i < v.size(); i += 17) v[i] = std::nan("");
    x = from_vector(v, xs, {.dtype = dtype});
  }
  return x;
}

}  // namespace pool_test
