#include "tensor/factories.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor/checked_math.hpp"

namespace tg {

namespace {

// Fills a new 1-D tensor of `count` elements with value(i), converted to options.dtype.
template <class ValueFn>
Tensor fill_1d(std::int64_t count, TensorOptions options, std::string_view op, ValueFn&& value) {
  Tensor t = empty({count}, {.dtype = options.dtype});
  visit_numeric(options.dtype, op, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < count; ++i) p[i] = convert_element<T>(value(i), op);
  });
  if (options.requires_grad) t.set_requires_grad(true);
  return t;
}

// The first and last values are checked up front, before anything is allocated.
void check_fits(double v, DType dtype, std::string_view op) {
  if (dtype == DType::Int64) convert_element<std::int64_t>(v, op);
}

// Far beyond any allocation, and small enough that i * step stays exact in the index.
constexpr double kMaxCount = 0x1p52;

}  // namespace

Tensor arange(double start, double stop, double step, TensorOptions options) {
  TG_CHECK(std::isfinite(start) && std::isfinite(stop), ValueError,
           "arange: bounds must be finite, got start {} stop {}", start, stop);
  TG_CHECK(std::isfinite(step) && step != 0.0, ValueError, "arange: step must be finite and non-zero, got {}", step);
  TG_CHECK(options.dtype != DType::Bool, DTypeError, "arange: bool is not a numeric dtype");
  const double span = std::ceil((stop - start) / step);
  TG_CHECK(span <= kMaxCount, ValueError, "arange: [{}, {}) in steps of {} gives too many values ({})", start, stop,
           step, span);
  const auto count = span > 0.0 ? static_cast<std::int64_t>(span) : std::int64_t{0};
  if (count > 0) {
    check_fits(start, options.dtype, "arange");
    check_fits(start + static_cast<double>(count - 1) * step, options.dtype, "arange");
  }
  return fill_1d(count, options, "arange", [&](std::int64_t i) { return start + static_cast<double>(i) * step; });
}

Tensor arange(double stop, TensorOptions options) { return arange(0.0, stop, 1.0, options); }

Tensor linspace(double start, double stop, std::int64_t steps, TensorOptions options) {
  TG_CHECK(steps >= 0, ValueError, "linspace: number of steps must be non-negative, got {}", steps);
  TG_CHECK(std::isfinite(start) && std::isfinite(stop), ValueError,
           "linspace: bounds must be finite, got start {} stop {}", start, stop);
  TG_CHECK(options.dtype != DType::Bool, DTypeError, "linspace: bool is not a numeric dtype");
  if (steps > 0) {
    check_fits(start, options.dtype, "linspace");
    check_fits(stop, options.dtype, "linspace");
  }
  const double delta = steps > 1 ? (stop - start) / static_cast<double>(steps - 1) : 0.0;
  return fill_1d(steps, options, "linspace", [&](std::int64_t i) {
    return i == steps - 1 && steps > 1 ? stop : start + static_cast<double>(i) * delta;
  });
}

Tensor eye(std::int64_t n, TensorOptions options) { return eye(n, n, options); }

Tensor eye(std::int64_t n, std::int64_t m, TensorOptions options) {
  TG_CHECK(n >= 0 && m >= 0, ShapeError, "eye: sizes must be non-negative, got {} x {}", n, m);
  Tensor t = zeros({n, m}, {.dtype = options.dtype});
  visit_dtype(options.dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = T(1);
  });
  if (options.requires_grad) t.set_requires_grad(true);
  return t;
}

}  // namespace tg
