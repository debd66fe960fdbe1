// The pooling kernels' fast paths (interior columns vectorised over output columns, border
// columns clipped, stride-specialised loops, column blocks, parallel planes) against naive
// per-window loops (here and in pool_test_util.hpp), over a sweep of kernel sizes, strides, paddings, dilations,
// ceil_mode and count_include_pad, odd input sizes, float32 and float64, ties and NaNs.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "conv_test_util.hpp"
#include "ops/pool/pool_common.hpp"
#include "pool_test_util.hpp"

using namespace tg;
using conv_test::describe;
using namespace pool_test;

namespace {

// Naive average pooling and its adjoint (dx[r, q] += dy / divisor for every window
// holding (r, q)), with the divisor rule of count_include_pad.
void naive_avg_pool(const std::vector<double>& x, const Shape& xs, const Pool2dOptions& o, std::vector<double>& y,
                    const std::vector<double>* dy = nullptr, std::vector<double>* dx = nullptr) {
  const Planes g = planes_of(xs, o);
  const std::int64_t sh = o.stride.h == 0 ? o.kernel_size.h : o.stride.h;
  const std::int64_t sw = o.stride.w == 0 ? o.kernel_size.w : o.stride.w;
  y.assign(static_cast<std::size_t>(g.planes * g.oh * g.ow), 0.0);
  if (dx != nullptr) dx->assign(x.size(), 0.0);
  for (std::int64_t p = 0; p < g.planes; ++p) {
    for (std::int64_t i = 0; i < g.oh; ++i) {
      for (std::int64_t j = 0; j < g.ow; ++j) {
        double total = 0.0;
        std::int64_t inside = 0, padded = 0;
        for (std::int64_t r = i * sh - o.padding.h; r < i * sh - o.padding.h + o.kernel_size.h; ++r) {
          for (std::int64_t q = j * sw - o.padding.w; q < j * sw - o.padding.w + o.kernel_size.w; ++q) {
            if (r < g.h + o.padding.h && q < g.w + o.padding.w) ++padded;  // inside the padded input
            if (r < 0 || r >= g.h || q < 0 || q >= g.w) continue;
            ++inside;
            total += x[static_cast<std::size_t>((p * g.h + r) * g.w + q)];
          }
        }
        const std::int64_t divisor = o.count_include_pad ? padded : inside;
        const auto k = static_cast<std::size_t>((p * g.oh + i) * g.ow + j);
        y[k] = divisor > 0 ? total / static_cast<double>(divisor) : 0.0;
        if (dx == nullptr || divisor == 0) continue;
        for (std::int64_t r = std::max<std::int64_t>(i * sh - o.padding.h, 0);
             r < std::min(i * sh - o.padding.h + o.kernel_size.h, g.h); ++r) {
          for (std::int64_t q = std::max<std::int64_t>(j * sw - o.padding.w, 0);
               q < std::min(j * sw - o.padding.w + o.kernel_size.w, g.w); ++q) {
            (*dx)[static_cast<std::size_t>((p * g.h + r) * g.w + q)] += (*dy)[k] / static_cast<double>(divisor);
          }
        }
      }
    }
  }
}

// Every valid configuration of the sweep, each with its own odd-ish input size.
std::vector<std::pair<Shape, Pool2dOptions>> sweep(bool max_pool) {
  std::vector<std::pair<Shape, Pool2dOptions>> cases;
  std::int64_t n = 0;
  for (std::int64_t kh = 1; kh <= 3; ++kh)
    for (std::int64_t kw = 1; kw <= 3; ++kw)
      for (std::int64_t s = 1; s <= 3; ++s)
        for (std::int64_t p = 0; p <= 1; ++p)
          for (const bool ceil : {false, true})
            for (const bool flag : {false, true}) {  // dilation 2 (max) / count_include_pad (avg)
              if (2 * p > kh || 2 * p > kw) continue;
              Pool2dOptions o{.kernel_size = {kh, kw}, .stride = {s, s == 3 ? 2 : s}, .padding = p, .ceil_mode = ceil};
              if (max_pool) o.dilation = flag ? 2 : 1;
              if (!max_pool) o.count_include_pad = flag;
              ++n;
              cases.push_back({Shape{2, 3, 5 + 2 * (n % 3), 7 + 2 * (n % 4)}, o});
            }
  return cases;
}

}  // namespace

TEST_CASE("max_pool2d kernels match a naive window scan over a sweep (values and arg-max indices)") {
  Generator gen(2024);
  for (const DType dtype : {f64, f32}) {
    int k = 0;
    for (const auto& [xs, o] : sweep(true)) {
      const bool ties = k % 2 == 0, nans = k % 5 == 0;
      ++k;
      INFO(describe(o), ", input ", fmt::format("{}", xs), ", ", std::string(dtype_name(dtype)), ", ties ", ties,
           ", nans ", nans);
      const Tensor x = pool_input(xs, dtype, gen, ties, nans);
      std::vector<double> want;
      std::vector<std::int64_t> want_idx;
      naive_max_pool(x.to_vector(), xs, o, want, want_idx);
      const detail::MaxPoolResult got = detail::max_pool2d_with_indices("max_pool2d", x, o);
      const Planes g = planes_of(xs, o);
      REQUIRE(got.values.shape() == Shape{xs[0], xs[1], g.oh, g.ow});
      check_close(got.values.to_vector(), want, 0.0, "values");
      REQUIRE(got.indices.to_vector_as<std::int64_t>() == want_idx);
    }
  }
}

TEST_CASE("max_pool2d backward scatters to the naive arg-max, accumulating overlaps") {
  Generator gen(2025);
  for (const auto& [xs, o] : sweep(true)) {
    INFO(describe(o), ", input ", fmt::format("{}", xs));
    const Tensor x = pool_input(xs, f64, gen, /*ties=*/true, /*nans=*/false).set_requires_grad(true);
    std::vector<double> y;
    std::vector<std::int64_t> idx;
    naive_max_pool(x.to_vector(), xs, o, y, idx);
    const Tensor out = max_pool2d(x, o);
    const Tensor dy = uniform(out.shape(), -1.0, 1.0, gen, {.dtype = f64});
    std::vector<double> want(static_cast<std::size_t>(x.numel()), 0.0);
    const std::vector<double> g = dy.to_vector();
    const Planes pl = planes_of(xs, o);
    for (std::size_t e = 0; e < idx.size(); ++e) {
      const auto plane = static_cast<std::int64_t>(e) / (pl.oh * pl.ow);
      if (idx[e] >= 0) want[static_cast<std::size_t>(plane * pl.h * pl.w + idx[e])] += g[e];
    }
    check_close(grad({out}, {x}, {dy})[0].to_vector(), want, 1e-15, "dx");
  }
}

TEST_CASE("avg_pool2d kernels and their adjoint match naive windows over a sweep") {
  Generator gen(2026);
  for (const DType dtype : {f64, f32}) {
    const double tol = dtype == f64 ? 1e-14 : 2e-6;
    for (const auto& [xs, o] : sweep(false)) {
      INFO(describe(o), ", input ", fmt::format("{}", xs), ", ", std::string(dtype_name(dtype)));
      const Tensor x = pool_input(xs, dtype, gen, false, false).set_requires_grad(true);
      const Tensor out = avg_pool2d(x, o);
      const Tensor dy = uniform(out.shape(), -1.0, 1.0, gen, {.dtype = dtype});
      std::vector<double> want, want_dx;
      const std::vector<double> g = dy.to_vector();
      naive_avg_pool(x.to_vector(), xs, o, want, &g, &want_dx);
      check_close(out.to_vector(), want, tol, "values");
      check_close(grad({out}, {x}, {dy})[0].to_vector(), want_dx, tol, "dx");
    }
  }
}

TEST_CASE("pooling over wide rows crosses the column blocks and splits planes across threads") {
  Generator gen(2027);
  const Shape xs{2, 20, 9, 700};  // > 256 interior columns per row; 40 planes
  for (const Pool2dOptions& o : {Pool2dOptions{.kernel_size = 3, .stride = 1, .padding = 1},
                                 Pool2dOptions{.kernel_size = 2, .stride = 2, .ceil_mode = true},
                                 Pool2dOptions{.kernel_size = {3, 2}, .stride = {2, 3}, .padding = {1, 0}}}) {
    INFO(describe(o));
    const Tensor x = pool_input(xs, f32, gen, /*ties=*/true, /*nans=*/false);
    std::vector<double> want;
    std::vector<std::int64_t> want_idx;
    naive_max_pool(x.to_vector(), xs, o, want, want_idx);
    set_num_threads(2);
    const detail::MaxPoolResult got = detail::max_pool2d_with_indices("max_pool2d", x, o);
    const Tensor avg = avg_pool2d(x, o);
    set_num_threads(0);
    check_close(got.values.to_vector(), want, 0.0, "max values");
    CHECK(got.indices.to_vector_as<std::int64_t>() == want_idx);
    naive_avg_pool(x.to_vector(), xs, o, want);
    check_close(avg.to_vector(), want, 2e-6, "avg values");
  }
}

TEST_CASE("adaptive_avg_pool2d and its adjoint match naive windows") {
  Generator gen(2028);
  for (std::int64_t h : {1, 4, 7})
    for (std::int64_t w : {3, 6, 9})
      for (std::int64_t oh : {1, 2, 3, 5})
        for (std::int64_t ow : {1, 2, 4}) {
          INFO("input ", h, "x", w, " -> ", oh, "x", ow);
          const Tensor x = uniform({2, 3, h, w}, -1.0, 1.0, gen, {.dtype = f64, .requires_grad = true});
          const Tensor out = adaptive_avg_pool2d(x, {oh, ow});
          const Tensor dy = uniform(out.shape(), -1.0, 1.0, gen, {.dtype = f64});
          const std::vector<double> xv = x.to_vector(), g = dy.to_vector();
          std::vector<double> want(static_cast<std::size_t>(6 * oh * ow)), want_dx(xv.size(), 0.0);
          for (std::int64_t p = 0; p < 6; ++p)
            for (std::int64_t i = 0; i < oh; ++i)
              for (std::int64_t j = 0; j < ow; ++j) {
                const std::int64_t r0 = i * h / oh, r1 = ((i + 1) * h + oh - 1) / oh;
                const std::int64_t q0 = j * w / ow, q1 = ((j + 1) * w + ow - 1) / ow;
                const auto k = static_cast<std::size_t>((p * oh + i) * ow + j);
                const auto count = static_cast<double>((r1 - r0) * (q1 - q0));
                double total = 0.0;
                for (std::int64_t r = r0; r < r1; ++r)
                  for (std::int64_t q = q0; q < q1; ++q) {
                    total += xv[static_cast<std::size_t>((p * h + r) * w + q)];
                    want_dx[static_cast<std::size_t>((p * h + r) * w + q)] += g[k] / count;
                  }
                want[k] = total / count;
              }
          check_close(out.to_vector(), want, 1e-14, "values");
          check_close(grad({out}, {x}, {dy})[0].to_vector(), want_dx, 1e-14, "dx");
        }
}

TEST_CASE("max_pool2d_scatter and _select reject indices outside the plane") {
  const Tensor g = ones({1, 1, 2, 2}, {.dtype = f64});
  const Tensor bad = from_vector(std::vector<std::int64_t>{0, 1, 9, -1}, {1, 1, 2, 2}, {.dtype = i64});
  CHECK_THROWS_AS((void)detail::max_pool2d_scatter(g, bad, {3, 3}), IndexError);
  CHECK_THROWS_AS((void)detail::max_pool2d_select(ones({1, 1, 3, 3}, {.dtype = f64}), bad), IndexError);
  const Tensor good = from_vector(std::vector<std::int64_t>{0, 1, 8, -1}, {1, 1, 2, 2}, {.dtype = i64});
  CHECK(detail::max_pool2d_scatter(g, good, {3, 3}).to_vector() == std::vector<double>{1, 1, 0, 0, 0, 0, 0, 0, 1});
  CHECK(detail::max_pool2d_select(arange(9.0, {.dtype = f64}).reshape({1, 1, 3, 3}), good).to_vector() ==
        std::vector<double>{0, 1, 8, 0});
}
