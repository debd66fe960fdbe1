// max_pool2d's tiled SIMD kernels (ops/kernels/pool/pool_tiled.hpp: no padding, stride_w ==
// kernel_w of 2 or 3) on every SIMD path the CPU offers, against the naive scan of
// pool_test_util.hpp: widths up to 40 (odd ones leave the last column out), LeNet's planes,
// several planes per call, ties, NaNs, infinities and signed zeros, float32 and float64;
// the gradient; the kernels writing only the planes they are given; and the index check
// that runs before the backward's scatter.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "conv_test_util.hpp"
#include "ops/kernels/pool/pool_tiled.hpp"
#include "ops/kernels/simd/simd_path.hpp"
#include "ops/pool/pool_common.hpp"
#include "pool_test_util.hpp"

using namespace tg;
using conv_test::describe;
using kernels::SimdPath;
using namespace pool_test;

namespace {

std::vector<SimdPath> available_paths() {
  std::vector<SimdPath> paths{SimdPath::portable};
  if (kernels::best_simd_path() >= SimdPath::avx2) paths.push_back(SimdPath::avx2);
  if (kernels::best_simd_path() >= SimdPath::avx512) paths.push_back(SimdPath::avx512);
  return paths;
}

struct RestorePath {
  SimdPath saved = kernels::simd_path();
  ~RestorePath() { kernels::set_simd_path(saved); }
};

// Values that exercise every rule of the scan: small integers (ties), -0.0 next to 0.0,
// -inf, +inf and NaN. Plane 1 holds only -inf and zeros, so whole windows tie at -inf.
Tensor hard_input(const Shape& xs, DType dtype, Generator& gen) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  const double table[16] = {0, 1, 2, 3, 0, 1, 2, 3, -0.0, 0.0, -inf, inf, nan, -1, -1, -1};
  const std::vector<std::int64_t> codes = randint(0, 16, xs, gen).to_vector_as<std::int64_t>();
  const std::int64_t plane = xs[2] * xs[3];
  std::vector<double> v(codes.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const bool plane_1 = static_cast<std::int64_t>(i) / plane == 1;
    v[i] = table[plane_1 ? 8 + codes[i] % 3 : codes[i]];
  }
  return from_vector(v, xs, {.dtype = dtype});
}

// The same element chosen: equal values with equal signs (the first of -0.0 and 0.0 wins),
// or both NaN.
bool identical(double got, double want) {
  return std::isnan(want) ? std::isnan(got) : got == want && std::signbit(got) == std::signbit(want);
}

void check_identical(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    REQUIRE_MESSAGE(identical(got[i], want[i]), "element ", i, ": got ", got[i], ", want ", want[i]);
  }
}

// Runs max_pool2d on x and compares values and arg-max indices with the naive scan;
// requires that the geometry takes the tiled kernels unless the path is portable.
void check_max_pool(const Tensor& x, const Pool2dOptions& o) {
  INFO(describe(o), ", input ", fmt::format("{}", x.shape()), ", ", std::string(dtype_name(x.dtype())), ", path ",
       std::string(kernels::to_string(kernels::simd_path())));
  const kernels::PoolGeometry g = detail::pool2d_geometry("max_pool2d", x, o, /*allow_dilation=*/true);
  REQUIRE(kernels::max_pool2d_tiled_applies(g) == (kernels::simd_path() != SimdPath::portable));
  std::vector<double> want;
  std::vector<std::int64_t> want_idx;
  naive_max_pool(x.to_vector(), x.shape(), o, want, want_idx);
  const detail::MaxPoolResult got = detail::max_pool2d_with_indices("max_pool2d", x, o);
  check_identical(got.values.to_vector(), want);
  REQUIRE(got.indices.to_vector_as<std::int64_t>() == want_idx);
}

struct Window {
  std::int64_t kh, kw, sh;
};

// Square tiles, and kernel heights and vertical strides of their own (overlapping rows too).
const std::vector<Window> kWindows{{2, 2, 2}, {3, 3, 3}, {1, 2, 1}, {3, 2, 1}, {2, 3, 3}, {4, 2, 3}, {1, 3, 2}};

}  // namespace

TEST_CASE("tiled max_pool2d matches a naive scan on every SIMD path: widths to 40, ties, NaNs, infinities, -0") {
  RestorePath restore;
  Generator gen(2030);
  for (const SimdPath path : available_paths()) {
    kernels::set_simd_path(path);
    for (const DType dtype : {f32, f64}) {
      for (const Window& win : kWindows) {
        for (std::int64_t w = win.kw; w <= 40; ++w) {
          for (const std::int64_t h : {win.kh, std::int64_t{5}, std::int64_t{14}}) {
            if (h < win.kh) continue;
            const Pool2dOptions o{.kernel_size = {win.kh, win.kw}, .stride = {win.sh, win.kw}};
            check_max_pool(hard_input({2, 3, h, w}, dtype, gen), o);
          }
        }
      }
    }
  }
}

TEST_CASE("tiled max_pool2d matches a naive scan on LeNet's planes (10x10 -> 5x5, 28x28 -> 14x14) and square ones") {
  RestorePath restore;
  Generator gen(2031);
  for (const SimdPath path : available_paths()) {
    kernels::set_simd_path(path);
    for (const DType dtype : {f32, f64}) {
      for (const Shape& xs : {Shape{4, 16, 10, 10}, Shape{3, 6, 28, 28}, Shape{2, 5, 5, 5}, Shape{2, 5, 14, 14}}) {
        check_max_pool(hard_input(xs, dtype, gen), {.kernel_size = 2});
        check_max_pool(hard_input(xs, dtype, gen), {.kernel_size = 3});
        check_max_pool(pool_input(xs, dtype, gen, /*ties=*/false, /*nans=*/false), {.kernel_size = 2});
      }
    }
  }
}

TEST_CASE("tiled max_pool2d kernels write only the planes they are given") {
  RestorePath restore;
  Generator gen(2032);
  for (const SimdPath path : available_paths()) {
    if (path == SimdPath::portable) continue;  // the tiled kernels have no portable path
    kernels::set_simd_path(path);
    for (const auto& [xs, o] : {std::pair{Shape{1, 7, 10, 10}, Pool2dOptions{.kernel_size = 2}},
                                std::pair{Shape{1, 7, 28, 28}, Pool2dOptions{.kernel_size = 2}},
                                std::pair{Shape{1, 7, 9, 13}, Pool2dOptions{.kernel_size = {3, 2}, .stride = {1, 2}}},
                                std::pair{Shape{1, 7, 14, 14}, Pool2dOptions{.kernel_size = 3}}}) {
      const Tensor x = hard_input(xs, f64, gen);
      const kernels::PoolGeometry g = detail::pool2d_geometry("max_pool2d", x, o, true);
      REQUIRE(kernels::max_pool2d_tiled_applies(g));
      std::vector<double> want;
      std::vector<std::int64_t> want_idx;
      naive_max_pool(x.to_vector(), xs, o, want, want_idx);
      const std::vector<double> xd = x.to_vector();
      const std::vector<float> xf(xd.begin(), xd.end());
      const std::int64_t plane_out = g.out_h * g.out_w;
      // (Ranges inside the tensor first: a stray write past its end can corrupt the heap.)
      for (const auto& [p0, p1] :
           {std::pair{2, 5}, std::pair{0, 1}, std::pair{3, 3}, std::pair{6, 7}, std::pair{0, 7}}) {
        INFO(describe(o), ", planes [", p0, ", ", p1, "), path ", std::string(kernels::to_string(path)));
        const double sentinel = 1234.5;
        std::vector<double> yd(want.size(), sentinel);
        std::vector<float> yf(want.size(), static_cast<float>(sentinel));
        std::vector<std::int64_t> ad(want.size(), -77), af(want.size(), -77);
        kernels::max_pool2d_tiled_planes<double>(xd.data(), yd.data(), ad.data(), g, p0, p1);
        kernels::max_pool2d_tiled_planes<float>(xf.data(), yf.data(), af.data(), g, p0, p1);
        for (std::size_t k = 0; k < want.size(); ++k) {
          const auto plane = static_cast<std::int64_t>(k) / plane_out;
          const bool inside = plane >= p0 && plane < p1;
          const double wv = inside ? want[k] : sentinel;
          const std::int64_t wi = inside ? want_idx[k] : -77;
          REQUIRE_MESSAGE(identical(yd[k], wv), "float64 element ", k);
          REQUIRE_MESSAGE(identical(yf[k], wv), "float32 element ", k);
          REQUIRE_MESSAGE(ad[k] == wi, "float64 index ", k);
          REQUIRE_MESSAGE(af[k] == wi, "float32 index ", k);
        }
      }
    }
  }
}

TEST_CASE("max_pool2d's gradient on the tiled path goes to the naive arg-max on every SIMD path") {
  RestorePath restore;
  Generator gen(2033);
  for (const SimdPath path : available_paths()) {
    kernels::set_simd_path(path);
    for (const DType dtype : {f32, f64}) {
      for (const auto& [xs, o] :
           {std::pair{Shape{2, 3, 10, 10}, Pool2dOptions{.kernel_size = 2}},
            std::pair{Shape{2, 3, 28, 28}, Pool2dOptions{.kernel_size = 2}},
            std::pair{Shape{2, 3, 14, 15}, Pool2dOptions{.kernel_size = 3}},
            std::pair{Shape{2, 3, 9, 13}, Pool2dOptions{.kernel_size = {3, 2}, .stride = {1, 2}}}}) {
        INFO(describe(o), ", input ", fmt::format("{}", xs), ", ", std::string(dtype_name(dtype)), ", path ",
             std::string(kernels::to_string(path)));
        const Tensor x = pool_input(xs, dtype, gen, /*ties=*/true, /*nans=*/false).set_requires_grad(true);
        std::vector<double> y;
        std::vector<std::int64_t> idx;
        naive_max_pool(x.to_vector(), xs, o, y, idx);
        const Tensor out = max_pool2d(x, o);
        const Tensor dy = uniform(out.shape(), -1.0, 1.0, gen, {.dtype = dtype});
        const std::vector<double> g = dy.to_vector();
        std::vector<double> want(static_cast<std::size_t>(x.numel()), 0.0);
        const Planes pl = planes_of(xs, o);
        for (std::size_t e = 0; e < idx.size(); ++e) {
          const auto plane = static_cast<std::int64_t>(e) / (pl.oh * pl.ow);
          want[static_cast<std::size_t>(plane * pl.h * pl.w + idx[e])] += g[e];
        }
        // Overlapping rows (stride 1) add up to 3 float32 gradients: rounding differs.
        check_close(grad({out}, {x}, {dy})[0].to_vector(), want, dtype == f32 ? 1e-6 : 1e-15, "dx");
      }
    }
  }
}

TEST_CASE("find_bad_plane_index finds the first index below -1 or at least the plane size, wherever it lies") {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  Generator gen(2034);
  for (const std::int64_t plane : {std::int64_t{1}, std::int64_t{100}, std::int64_t{1} << 40}) {
    // Valid indices, including both ends of the range, over several screening blocks.
    std::vector<std::int64_t> idx =
        randint(-1, std::min<std::int64_t>(plane, 1000), {3001}, gen).to_vector_as<std::int64_t>();
    idx[5] = -1;
    idx[6] = plane - 1;
    const auto naive = [&](const std::vector<std::int64_t>& v) -> std::int64_t {
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] < -1 || v[i] >= plane) return static_cast<std::int64_t>(i);
      }
      return -1;
    };
    const auto n = static_cast<std::int64_t>(idx.size());
    REQUIRE(naive(idx) == -1);
    CHECK(kernels::find_bad_plane_index(idx.data(), n, plane) == -1);
    for (const std::int64_t bad : {plane, plane + 1, kMax, kMax - 1, std::int64_t{-2}, kMin, kMin + 1, -plane - 2}) {
      for (const std::int64_t at : {0, 1, 1023, 1024, 2047, 3000}) {
        INFO("plane ", plane, ", bad index ", bad, " at ", at);
        std::vector<std::int64_t> v = idx;
        v[static_cast<std::size_t>(at)] = bad;
        v[3000 - static_cast<std::size_t>(at) / 2] = plane + 7;  // a second bad one (first only when earlier)
        CHECK(kernels::find_bad_plane_index(v.data(), n, plane) == naive(v));
        const std::vector<std::int64_t> prefix(v.begin(), v.begin() + at);  // n stops before `at`
        CHECK(kernels::find_bad_plane_index(v.data(), at, plane) == naive(prefix));
      }
    }
  }
}
