#include "tensor/compare.hpp"

#include <atomic>
#include <cmath>
#include <mutex>
#include <type_traits>

#include "tensor/strided_loop.hpp"

namespace tg {

namespace {

// Calls row(x, x_inc, y, y_inc, n) for every row of the broadcast of a and b (rows may run
// in parallel), with x and y typed pointers into the two storages.
template <class Row>
void zip_rows(const Tensor& a, const Tensor& b, const Shape& shape, std::string_view op, Row&& row) {
  const Strides sa = broadcast_strides(a.shape(), a.strides(), shape, op);
  const Strides sb = broadcast_strides(b.shape(), b.strides(), shape, op);
  visit_dtype(a.dtype(), [&](auto a_tag) {
    using A = decltype(a_tag);
    visit_dtype(b.dtype(), [&](auto b_tag) {
      using B = decltype(b_tag);
      const A* x = static_cast<const A*>(a.impl().storage->data());
      const B* y = static_cast<const B*>(b.impl().storage->data());
      for_each_row<2>(shape, {sa, sb}, {a.offset(), b.offset()},
                      [&](const std::array<std::int64_t, 2>& off, std::int64_t n,
                          const std::array<std::int64_t, 2>& inc) { row(x + off[0], inc[0], y + off[1], inc[1], n); });
    });
  });
}

// True if pred(x, y) holds for every pair of the broadcast.
template <class Pred>
bool all_pairs(const Tensor& a, const Tensor& b, const Shape& shape, std::string_view op, Pred pred) {
  std::atomic<bool> ok{true};
  zip_rows(a, b, shape, op, [&](const auto* x, std::int64_t x_inc, const auto* y, std::int64_t y_inc, std::int64_t n) {
    if (!ok.load(std::memory_order_relaxed)) return;
    for (std::int64_t i = 0; i < n; ++i) {
      if (!pred(x[i * x_inc], y[i * y_inc])) {
        ok.store(false, std::memory_order_relaxed);
        return;
      }
    }
  });
  return ok.load();
}

}  // namespace

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  TG_CHECK(rtol >= 0.0 && atol >= 0.0, ValueError, "allclose: tolerances must be non-negative, got rtol {} atol {}",
           rtol, atol);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), "allclose");
  return all_pairs(a, b, shape, "allclose", [&](auto xv, auto yv) {
    const auto x = static_cast<double>(xv);
    const auto y = static_cast<double>(yv);
    if (std::isnan(x) || std::isnan(y)) return equal_nan && std::isnan(x) && std::isnan(y);
    if (std::isinf(x) || std::isinf(y)) return x == y;
    return std::fabs(x - y) <= atol + rtol * std::fabs(y);
  });
}

bool equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return false;
  return all_pairs(a, b, a.shape(), "equal", [](auto x, auto y) {
    using X = decltype(x);
    using Y = decltype(y);
    if constexpr (std::is_integral_v<X> && std::is_integral_v<Y>) {
      return static_cast<std::int64_t>(x) == static_cast<std::int64_t>(y);  // exact beyond 2^53
    } else {
      return static_cast<double>(x) == static_cast<double>(y);
    }
  });
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), "max_abs_diff");
  std::mutex mutex;
  double result = 0.0;  // max is order-independent, so rows may finish in any order
  zip_rows(a, b, shape, "max_abs_diff",
           [&](const auto* x, std::int64_t x_inc, const auto* y, std::int64_t y_inc, std::int64_t n) {
             double row_max = 0.0;
             for (std::int64_t i = 0; i < n; ++i) {
               const auto u = static_cast<double>(x[i * x_inc]);
               const auto v = static_cast<double>(y[i * y_inc]);
               if (u == v) continue;  // also equal infinities, whose difference would be NaN
               const double d = std::fabs(u - v);
               if (std::isnan(d) || d > row_max) row_max = d;
               if (std::isnan(row_max)) break;
             }
             const std::lock_guard lock(mutex);
             if (std::isnan(row_max) || row_max > result) result = row_max;
           });
  return result;
}

}  // namespace tg
