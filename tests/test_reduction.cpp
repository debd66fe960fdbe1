// Reductions: values against naive loops (non-contiguous inputs, keepdim), tie rules of the
// max/amax gradients, softmax / log_softmax values, stability and gradients, determinism
// across thread counts, the one summation order on every SIMD path, and error paths.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "ops/kernels/math/reduce.hpp"
#include "ops/kernels/simd/simd_path.hpp"
#include "tapegrad.hpp"
#include "test_util.hpp"

using namespace tg;
using test_util::all_indices;
using test_util::error_of;
using test_util::strided_input;

namespace {

bool in(const std::vector<std::int64_t>& dims, std::int64_t d) {
  return std::find(dims.begin(), dims.end(), d) != dims.end();
}

// Naive reduction of x over `dims` (non-negative, all dims if empty) with fold(acc, v) in
// row-major order of x; returns the values in row-major order of the result.
std::vector<double> naive_reduce(const Tensor& x, std::vector<std::int64_t> dims, double init,
                                 const std::function<double(double, double)>& fold) {
  if (dims.empty()) {
    for (std::int64_t d = 0; d < x.dim(); ++d) dims.push_back(d);
  }
  Shape kept;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    if (!in(dims, d)) kept.push_back(x.shape()[d]);
  }
  std::vector<double> out(static_cast<std::size_t>(numel(kept)), init);
  for (const auto& idx : all_indices(x.shape())) {
    std::int64_t flat = 0;
    for (std::int64_t d = 0; d < x.dim(); ++d) {
      if (!in(dims, d)) flat = flat * x.shape()[d] + idx[d];
    }
    out[flat] = fold(out[flat], x.value(idx));
  }
  return out;
}

void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol = 1e-12) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(tol).scale(1.0));
}

double max_fold(double a, double b) { return std::max(a, b); }

}  // namespace

TEST_CASE("sum and mean match naive loops on non-contiguous inputs, with keepdim") {
  const Tensor x = strided_input(1);
  REQUIRE_FALSE(x.is_contiguous());
  const std::vector<std::vector<std::int64_t>> dim_sets = {{}, {0}, {1}, {2}, {0, 2}, {1, 2}};
  for (const auto& dims : dim_sets) {
    CAPTURE(dims);
    const auto want = naive_reduce(x, dims, 0.0, [](double a, double v) { return a + v; });
    check_close(sum(x, dims).to_vector(), want);
    std::int64_t count = 1;
    for (auto d : (dims.empty() ? std::vector<std::int64_t>{0, 1, 2} : dims)) count *= x.shape()[d];
    std::vector<double> want_mean = want;
    for (auto& v : want_mean) v /= static_cast<double>(count);
    check_close(mean(x, dims).to_vector(), want_mean);
    const Tensor kept = mean(x, dims, true);
    for (std::int64_t d = 0; d < 3; ++d) CHECK(kept.shape()[d] == (dims.empty() || in(dims, d) ? 1 : x.shape()[d]));
  }
  CHECK(mean(x, {-1}).shape() == Shape{2, 3});
}

TEST_CASE("mean gradient is g / n spread over the block") {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}}, {.dtype = f64, .requires_grad = true});
  Tensor w = tensor({10, 20}, {.dtype = f64});
  sum(mean(x, {1}) * w).backward();
  check_close(x.grad().to_vector(), {10.0 / 3, 10.0 / 3, 10.0 / 3, 20.0 / 3, 20.0 / 3, 20.0 / 3});
  CHECK(std::isnan(mean(zeros({0}, {.dtype = f64})).item()));  // like torch: 0 / 0
  CHECK_THROWS_AS((void)mean(zeros({3}, {.dtype = i64})), DTypeError);
}

TEST_CASE("max, amax and argmax match naive loops over multiple dims, keepdim, non-contiguous") {
  const Tensor x = strided_input(2);
  const double lowest = -std::numeric_limits<double>::infinity();
  const std::vector<std::vector<std::int64_t>> dim_sets = {{}, {0}, {1}, {2}, {0, 2}, {0, 1}, {1, 2}};
  for (const auto& dims : dim_sets) {
    CAPTURE(dims);
    const auto want = naive_reduce(x, dims, lowest, max_fold);
    CHECK(max(x, dims).to_vector() == want);
    CHECK(amax(x, dims).to_vector() == want);
    CHECK(max(x, dims, true).to_vector() == want);
    CHECK(amax(x, dims, true).dim() == 3);
  }
  // argmax along one dim: position of the naive maximum.
  for (std::int64_t dim = 0; dim < 3; ++dim) {
    const Tensor idx = argmax(x, dim);
    CHECK(idx.dtype() == i64);
    const auto want = naive_reduce(x, {dim}, lowest, max_fold);
    std::size_t r = 0;
    for (const auto& out_idx : all_indices(idx.shape())) {
      std::vector<std::int64_t> full(out_idx);
      full.insert(full.begin() + dim, static_cast<std::int64_t>(idx.value(out_idx)));
      CHECK(x.value(full) == want[r++]);
    }
    CHECK(argmax(x, dim, true).shape()[dim] == 1);
  }
  // Integers and a 0-d input.
  const Tensor ints = from_vector(std::vector<std::int64_t>{3, -7, 9, 9, 2, 0}, {2, 3});
  CHECK(max(ints, {1}).to_vector() == std::vector<double>{9, 9});
  CHECK(argmax(ints, 1).to_vector() == std::vector<double>{2, 0});
  CHECK(argmax(ints, 0).to_vector() == std::vector<double>{1, 1, 0});
  CHECK(max(scalar_tensor(4.5)).item() == 4.5);
  CHECK(argmax(scalar_tensor(4.5), 0).item() == 0);
  // NaN propagates.
  const Tensor with_nan = tensor({1.0, std::nan(""), 3.0});
  CHECK(std::isnan(max(with_nan).item()));
  CHECK(argmax(with_nan, 0).item() == 1);
}

TEST_CASE("max sends the gradient to the first maximum, amax splits it among ties") {
  Tensor x = tensor({{1, 3, 3}, {2, 2, 0}}, {.dtype = f64, .requires_grad = true});
  Tensor w = tensor({10, 20}, {.dtype = f64});
  sum(max(x, {1}) * w).backward();
  CHECK(x.grad().to_vector() == std::vector<double>{0, 10, 0, 20, 0, 0});
  x.zero_grad();
  sum(amax(x, {1}) * w).backward();
  CHECK(x.grad().to_vector() == std::vector<double>{0, 5, 5, 10, 10, 0});

  // Over all dims: three tied maxima.
  Tensor y = tensor({{5, 1}, {5, 5}}, {.dtype = f64, .requires_grad = true});
  max(y).backward();
  CHECK(y.grad().to_vector() == std::vector<double>{1, 0, 0, 0});
  y.zero_grad();
  amax(y).backward();
  check_close(y.grad().to_vector(), {1.0 / 3, 0, 1.0 / 3, 1.0 / 3});

  // Two reduced dims {0, 2} of a [2, 2, 2] tensor: the block for j is x[:, j, :], visited in
  // the order (0, j, 0), (0, j, 1), (1, j, 0), (1, j, 1).
  // j = 0 block: 4, 7, 7, 1 -> first max at (0, 0, 1); j = 1 block: 2, 2, 2, 9 -> (1, 1, 1).
  Tensor z = from_vector(std::vector<double>{4, 7, 2, 2, 7, 1, 2, 9}, {2, 2, 2}, {.dtype = f64, .requires_grad = true});
  Tensor wz = from_vector(std::vector<double>{3, 5}, {1, 2, 1}, {.dtype = f64});  // the keepdim shape
  sum(max(z, {0, 2}, true) * wz).backward();
  CHECK(z.grad().to_vector() == std::vector<double>{0, 3, 0, 0, 0, 0, 0, 5});
  z.zero_grad();
  sum(amax(z, {0, 2}, true) * wz).backward();
  CHECK(z.grad().to_vector() == std::vector<double>{0, 1.5, 0, 0, 1.5, 0, 0, 5});

  // A non-contiguous input: base read by columns.
  Tensor base = from_vector(std::vector<double>{1, 9, 9, 0}, {2, 2}, {.dtype = f64});
  Tensor t = raw::as_strided(base, {2, 2}, {1, 2}, 0).set_requires_grad(true);  // [[1, 9], [9, 0]]
  sum(max(t, {0}) * tensor({2, 3}, {.dtype = f64})).backward();
  CHECK(t.grad().to_vector() == std::vector<double>{0, 3, 2, 0});
}

TEST_CASE("max and amax gradients are linear in g (double backward)") {
  Tensor x = tensor({{1, 3, 3}, {2, 5, 0}}, {.dtype = f64, .requires_grad = true});
  Tensor g = tensor({2, 7}, {.dtype = f64, .requires_grad = true});
  auto dx = grad({amax(x, {1})}, {x}, {g}, {.create_graph = true});
  check_close(dx[0].to_vector(), {0, 1, 1, 0, 7, 0});
  Tensor v = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}, {.dtype = f64});
  auto dg = grad({sum(dx[0] * v)}, {g});  // d/dg of sum(w * v) = sum over the block of w * v / g
  check_close(dg[0].to_vector(), {(2 + 3) / 2.0, 5});
}

TEST_CASE("softmax rows sum to 1 and match a naive exp / sum") {
  const Tensor x = strided_input(3);
  for (std::int64_t dim : {0, 1, 2, -1}) {
    CAPTURE(dim);
    const Tensor y = softmax(x, dim);
    const std::int64_t d = dim < 0 ? dim + 3 : dim;
    const auto sums = naive_reduce(y, {d}, 0.0, [](double a, double v) { return a + v; });
    for (double s : sums) CHECK(s == doctest::Approx(1.0).epsilon(1e-14));
    const auto denom = naive_reduce(x, {d}, 0.0, [](double a, double v) { return a + std::exp(v); });
    const Tensor ls = log_softmax(x, dim);
    for (const auto& idx : all_indices(x.shape())) {
      std::int64_t flat = 0;
      for (std::int64_t k = 0; k < 3; ++k) {
        if (k != d) flat = flat * x.shape()[k] + idx[k];
      }
      CHECK(y.value(idx) == doctest::Approx(std::exp(x.value(idx)) / denom[flat]).epsilon(1e-13));
      CHECK(ls.value(idx) == doctest::Approx(x.value(idx) - std::log(denom[flat])).epsilon(1e-13));
    }
  }
  CHECK(softmax(scalar_tensor(3.0), 0).item() == 1.0);
  CHECK(softmax(zeros({2, 0}), 1).shape() == Shape{2, 0});
  // float32 too.
  const Tensor f = softmax(tensor({0.0, std::log(3.0)}, {.dtype = f32}), 0);
  CHECK(f.dtype() == f32);
  CHECK(f.value({0}) == doctest::Approx(0.25).epsilon(1e-6));
}

TEST_CASE("softmax and log_softmax are stable for large inputs") {
  const Tensor x = tensor({1000.0, 1000.0, 0.0}, {.dtype = f64});
  const auto ls = log_softmax(x, 0).to_vector();
  CHECK(ls[0] == doctest::Approx(-std::log(2.0)));
  CHECK(ls[1] == doctest::Approx(-std::log(2.0)));
  CHECK(ls[2] == doctest::Approx(-1000.0 - std::log(2.0)));
  const auto s = softmax(tensor({1000.0, 999.0}, {.dtype = f32}), 0).to_vector();
  CHECK(s[0] == doctest::Approx(1.0 / (1.0 + std::exp(-1.0))).epsilon(1e-6));
  CHECK(s[1] == doctest::Approx(std::exp(-1.0) / (1.0 + std::exp(-1.0))).epsilon(1e-6));
  const auto big_neg = log_softmax(tensor({-1000.0, 0.0}, {.dtype = f32}), 0).to_vector();
  CHECK(std::isfinite(big_neg[0]));
  CHECK(big_neg[0] == doctest::Approx(-1000.0));
}

TEST_CASE("softmax and log_softmax gradients match the hand formulas") {
  // loss = sum(w * f(x)) along rows of a [2, 3] input, softmax over dim 1.
  const std::vector<double> xv = {0.3, -1.2, 2.0, 0.5, 0.5, -0.7};
  const std::vector<double> wv = {1.0, -2.0, 0.5, 3.0, 0.0, 1.5};
  std::vector<double> y(6), want_soft(6), want_log(6);
  for (int r = 0; r < 2; ++r) {
    double z = 0, wy = 0, ws = 0;
    for (int j = 0; j < 3; ++j) z += std::exp(xv[r * 3 + j]);
    for (int j = 0; j < 3; ++j) y[r * 3 + j] = std::exp(xv[r * 3 + j]) / z;
    for (int j = 0; j < 3; ++j) {
      wy += wv[r * 3 + j] * y[r * 3 + j];
      ws += wv[r * 3 + j];
    }
    for (int j = 0; j < 3; ++j) {
      want_soft[r * 3 + j] = y[r * 3 + j] * (wv[r * 3 + j] - wy);
      want_log[r * 3 + j] = wv[r * 3 + j] - y[r * 3 + j] * ws;
    }
  }
  Tensor x = from_vector(xv, {2, 3}, {.dtype = f64, .requires_grad = true});
  Tensor w = from_vector(wv, {2, 3}, {.dtype = f64});
  sum(softmax(x, 1) * w).backward();
  check_close(x.grad().to_vector(), want_soft);
  x.zero_grad();
  sum(log_softmax(x, -1) * w).backward();
  check_close(x.grad().to_vector(), want_log);
}

TEST_CASE("softmax backward works after the caller dropped the softmax output") {
  // The saved output outlives the caller's handle to it (only the next node refers to it).
  Tensor x = tensor({1.0, 2.0, 3.0}, {.dtype = f64, .requires_grad = true});
  Tensor loss = sum(softmax(x, 0) * tensor({1.0, 0.0, 0.0}, {.dtype = f64}));
  loss.backward();
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  const double y0 = std::exp(1.0) / z;
  check_close(x.grad().to_vector(), {y0 * (1 - y0), -y0 * std::exp(2.0) / z, -y0 * std::exp(3.0) / z});
}

TEST_CASE("softmax and log_softmax double backward matches finite differences") {
  // h(x) = sum(v * d/dx sum(w * f(x))); its gradient by create_graph vs central differences.
  const std::vector<double> xv = {0.3, -1.2, 2.0, 0.5, 0.1, -0.7};
  Tensor w = from_vector(std::vector<double>{1.0, -2.0, 0.5, 3.0, 0.2, 1.5}, {2, 3}, {.dtype = f64});
  Tensor v = from_vector(std::vector<double>{0.7, 0.1, -0.4, 1.1, -0.9, 0.3}, {2, 3}, {.dtype = f64});
  for (bool log : {false, true}) {
    CAPTURE(log);
    auto h = [&](const Tensor& x, bool create) {
      Tensor f = log ? log_softmax(x, 0) : softmax(x, 0);
      auto g = grad({sum(f * w)}, {x}, {}, {.create_graph = create});
      return sum(g[0] * v);
    };
    // A [2, 3] view of a [3, 2] leaf: softmax over dim 0 of a non-contiguous input.
    Tensor leaf = from_vector(xv, {3, 2}, {.dtype = f64});
    Tensor x = raw::as_strided(leaf, {2, 3}, {1, 2}, 0).set_requires_grad(true);
    Tensor hv = h(x, true);
    auto hx = grad({hv}, {x});
    const double eps = 1e-6;
    for (std::int64_t i = 0; i < 2; ++i) {
      for (std::int64_t j = 0; j < 3; ++j) {
        auto at = [&](double delta) {
          Tensor xp = from_vector(x.detach().to_vector(), {2, 3}, {.dtype = f64});
          xp.set_value({i, j}, xp.value({i, j}) + delta);
          xp.set_requires_grad(true);
          return h(xp, false).item();
        };
        CHECK(hx[0].value({i, j}) == doctest::Approx((at(eps) - at(-eps)) / (2 * eps)).epsilon(1e-6));
      }
    }
  }
}

TEST_CASE("a 10M-element sum is bitwise identical for 1 and 2 threads") {
  Generator gen(7);
  const Tensor x = rand({10'000'000}, gen);  // float32
  set_num_threads(1);
  const float one = sum(x).item<float>();
  const std::vector<float> rows_one = sum(x.reshape({1000, 10000}), {1}).to_vector_as<float>();
  const float mean_one = mean(x).item<float>();
  const float max_one = max(x).item<float>();
  set_num_threads(2);
  const float two = sum(x).item<float>();
  const std::vector<float> rows_two = sum(x.reshape({1000, 10000}), {1}).to_vector_as<float>();
  const float mean_two = mean(x).item<float>();
  const float max_two = max(x).item<float>();
  set_num_threads(0);
  CHECK(std::bit_cast<std::uint32_t>(one) == std::bit_cast<std::uint32_t>(two));
  CHECK(rows_one == rows_two);
  CHECK(std::bit_cast<std::uint32_t>(mean_one) == std::bit_cast<std::uint32_t>(mean_two));
  CHECK(max_one == max_two);
  // And the value is right: a double-precision naive sum.
  double naive = 0;
  for (float v : x.to_vector_as<float>()) naive += v;
  CHECK(static_cast<double>(one) == doctest::Approx(naive).epsilon(1e-5));
}

namespace {

// The documented order of kernels::block_sum, written out one scalar at a time: accumulator
// k adds elements k, k + 8, ... in turn, the accumulators pair up, then the tail follows.
template <class T>
T eight_lane_sum(const T* p, std::int64_t n) {
  T lane[8] = {};
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) lane[k] = lane[k] + p[i + k];
  }
  T total = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
  for (; i < n; ++i) total = total + p[i];
  return total;
}

// Values over twelve binary orders of magnitude and both signs, so that another order of the
// additions would round differently.
template <class T>
std::vector<T> spread_values(std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  const std::vector<double> u = uniform({n}, -1.0, 1.0, gen, {.dtype = f64}).to_vector();
  std::vector<T> v(u.size());
  for (std::size_t i = 0; i < u.size(); ++i) v[i] = static_cast<T>(std::ldexp(u[i], static_cast<int>(i * 7 % 13) - 6));
  return v;
}

template <class T>
void check_sum_order_on_every_path() {
  const kernels::SimdPath saved = kernels::simd_path();
  for (const kernels::SimdPath path :
       {kernels::SimdPath::portable, kernels::SimdPath::avx2, kernels::SimdPath::avx512}) {
    if (path > kernels::best_simd_path()) continue;
    kernels::set_simd_path(path);
    INFO("path ", std::string(to_string(path)), ", ", sizeof(T) == 4 ? "float" : "double");
    for (const std::int64_t n : {0, 1, 7, 8, 9, 31, 32, 33, 63, 100, 1000, 16421}) {
      const std::vector<T> v = spread_values<T>(n, 40 + static_cast<std::uint64_t>(n));
      const T want = eight_lane_sum(v.data(), n);
      CHECK_MESSAGE(kernels::block_sum(v.data(), n) == want, "n = ", n);
    }
    // block_sums folds several blocks side by side: each block's sum keeps the order.
    for (const std::int64_t block : {std::int64_t{1}, std::int64_t{37}, std::int64_t{1000}}) {
      for (const std::int64_t count : {0, 3, 4, 9}) {
        const std::vector<T> v = spread_values<T>(block * count, 7 + static_cast<std::uint64_t>(block + count));
        std::vector<T> got(static_cast<std::size_t>(count));
        kernels::block_sums(v.data(), block, count, got.data());
        for (std::int64_t b = 0; b < count; ++b) {
          CHECK_MESSAGE(got[b] == eight_lane_sum(v.data() + b * block, block), "block ", block, ", ", b, " of ", count);
        }
      }
    }
    // tg::sum of a long row: blocks of kernels::kReduceBlock folded that way, then added in
    // order, on 1 and 2 threads (nine whole blocks, so runs of them go side by side).
    const std::int64_t n = 9 * kernels::kReduceBlock + 1001;
    const std::vector<T> v = spread_values<T>(n, 99);
    T want = 0;
    for (std::int64_t b = 0; b < n; b += kernels::kReduceBlock) {
      want = want + eight_lane_sum(v.data() + b, std::min(kernels::kReduceBlock, n - b));
    }
    const Tensor x = from_vector(std::vector<double>(v.begin(), v.end()), {n}, {.dtype = sizeof(T) == 4 ? f32 : f64});
    for (const int threads : {1, 2}) {
      set_num_threads(threads);
      CHECK_MESSAGE(sum(x).template item<T>() == want, threads, " threads");
    }
    set_num_threads(0);
  }
  kernels::set_simd_path(saved);
}

}  // namespace

TEST_CASE("float and double sums add in one documented order, the same bits on every SIMD path") {
  check_sum_order_on_every_path<float>();
  check_sum_order_on_every_path<double>();
}

TEST_CASE("reduction errors are typed and name the op and shape") {
  const Tensor empty_rows = zeros({0, 3});
  CHECK_THROWS_AS((void)max(empty_rows, {0}), ValueError);
  CHECK(error_of([&] { (void)max(empty_rows, {0}); }).find("max") == 0);
  CHECK(error_of([&] { (void)amax(empty_rows); }).find("[0, 3]") != std::string::npos);
  CHECK_THROWS_AS((void)argmax(empty_rows, 0), ValueError);
  CHECK(max(empty_rows, {1}).shape() == Shape{0});  // nothing reduced over an empty block
  CHECK_THROWS_AS((void)max(zeros({2, 3}), {2}), IndexError);
  CHECK(error_of([] { (void)amax(zeros({2, 3}), {-3}); }) == "amax: dim -3 is out of range for a tensor of rank 2");
  CHECK_THROWS_AS((void)mean(zeros({2, 3}), {0, 0}), IndexError);
  CHECK_THROWS_AS((void)argmax(zeros({2, 3}), 5), IndexError);
  CHECK_THROWS_AS((void)softmax(zeros({2, 3}), 2), IndexError);
  CHECK(error_of([] { (void)log_softmax(zeros({2, 3}), -4); }).find("log_softmax") == 0);
  CHECK_THROWS_AS((void)softmax(zeros({2}, {.dtype = i64}), 0), DTypeError);
}
