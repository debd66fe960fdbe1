// Statistics and scans (var, std, norm, min, amin, logsumexp, cumsum, sort, argsort, topk):
// values against naive loops in long double, hand-computed gradients, tie and NaN rules,
// determinism across thread counts, and typed errors naming the op.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "tapegrad.hpp"
#include "test_util.hpp"

using namespace tg;
using test_util::error_of;
using test_util::strided_input;

namespace {

// The elements of each reduced block of x over `dims` (all dims if empty), in row-major
// order within the block; blocks in row-major order of the result.
std::vector<std::vector<long double>> blocks(const Tensor& x, std::vector<std::int64_t> dims) {
  if (dims.empty()) {
    for (std::int64_t d = 0; d < x.dim(); ++d) dims.push_back(d);
  }
  const auto reduced = [&](std::int64_t d) { return std::find(dims.begin(), dims.end(), d) != dims.end(); };
  std::int64_t kept = 1;
  for (std::int64_t d = 0; d < x.dim(); ++d) kept *= reduced(d) ? 1 : x.size(d);
  std::vector<std::vector<long double>> out(static_cast<std::size_t>(kept));
  std::vector<std::int64_t> idx(static_cast<std::size_t>(x.dim()), 0);
  for (std::int64_t n = 0; n < x.numel(); ++n) {
    std::int64_t flat = 0;
    for (std::int64_t d = 0; d < x.dim(); ++d) flat = reduced(d) ? flat : flat * x.size(d) + idx[d];
    out[flat].push_back(x.value(idx));
    for (auto d = x.dim() - 1; d >= 0; --d) {
      if (++idx[d] < x.size(d)) break;
      idx[d] = 0;
    }
  }
  return out;
}

// The textbook two-pass variance in long double.
long double naive_var(const std::vector<long double>& v, bool unbiased) {
  long double m = 0;
  for (long double e : v) m += e;
  m /= static_cast<long double>(v.size());
  long double ss = 0;
  for (long double e : v) ss += (e - m) * (e - m);
  return ss / (static_cast<long double>(v.size()) - (unbiased ? 1 : 0));
}

void check_close(const std::vector<double>& got, const std::vector<long double>& want, double tol = 1e-12) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i] == doctest::Approx(static_cast<double>(want[i])).epsilon(tol).scale(1.0));
  }
}

}  // namespace

TEST_CASE("var and std match a two-pass long double loop over dims, keepdim, non-contiguous") {
  const Tensor x = strided_input(11);
  for (const Dims& dims : {Dims{}, Dims{0}, Dims{1, 2}, Dims{-1}}) {
    for (bool unbiased : {true, false}) {
      CAPTURE(dims.size());
      CAPTURE(unbiased);
      std::vector<std::int64_t> wrapped;
      for (auto d : dims) wrapped.push_back(d < 0 ? d + 3 : d);
      std::vector<long double> want_var, want_std;
      for (const auto& b : blocks(x, wrapped)) {
        want_var.push_back(naive_var(b, unbiased));
        want_std.push_back(std::sqrt(naive_var(b, unbiased)));
      }
      check_close(var(x, dims, unbiased).to_vector(), want_var);
      check_close(std_dev(x, dims, unbiased).to_vector(), want_std);
    }
  }
  CHECK(var(x, {1}, true, true).shape() == Shape{2, 1, 4});
  CHECK(std_dev(x, {0, 2}, false, true).shape() == Shape{1, 3, 1});
}

TEST_CASE("var is two-pass: no cancellation for a large offset; n - 1 = 0 and empty give NaN") {
  // sum(x^2) / n - mean^2 would lose every digit here.
  const Tensor x = tensor({1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4}, {.dtype = f64});
  CHECK(var(x).item() == doctest::Approx(5.0 / 3.0).epsilon(1e-12));
  CHECK(var(x, {}, false).item() == doctest::Approx(1.25).epsilon(1e-12));
  CHECK(std::isnan(var(tensor({2.0}, {.dtype = f64})).item()));
  CHECK(var(tensor({2.0}, {.dtype = f64}), {}, false).item() == 0.0);
  CHECK(std::isnan(std_dev(zeros({0, 3}, {.dtype = f64}), {0}).to_vector()[0]));
}

TEST_CASE("var and std gradients match the hand formulas") {
  Tensor x = tensor({1, 2, 4, 9}, {.dtype = f64, .requires_grad = true});  // mean 4, var 38 / 3
  var(x).backward();
  // 2 (x - 4) / 3
  check_close(x.grad().to_vector(), {-2.0L, -4.0L / 3, 0.0L, 10.0L / 3});
  x.zero_grad();
  std_dev(x, {}, false).backward();  // std = sqrt(38 / 4); d/dx = (x - 4) / (4 std)
  const long double s = std::sqrt(38.0L / 4);
  check_close(x.grad().to_vector(), {-3 / (4 * s), -2 / (4 * s), 0.0L, 5 / (4 * s)});
}

TEST_CASE("norm p = 1, 2, inf match loops; gradients at 0 and at ties follow PyTorch") {
  const Tensor x = strided_input(12);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<long double> l1, l2, linf;
  for (const auto& b : blocks(x, {1})) {
    long double a = 0, s = 0, m = 0;
    for (long double v : b) a += std::fabs(v), s += v * v, m = std::max(m, std::fabs(v));
    l1.push_back(a), l2.push_back(std::sqrt(s)), linf.push_back(m);
  }
  check_close(norm(x, 1.0, {1}).to_vector(), l1);
  check_close(norm(x, 2.0, {1}).to_vector(), l2);
  check_close(norm(x, inf, {1}).to_vector(), linf);

  Tensor z = zeros({3}, {.dtype = f64, .requires_grad = true});
  norm(z).backward();  // the 2-norm's gradient x / |x| is 0 at 0, not NaN
  CHECK(z.grad().to_vector() == std::vector<double>{0, 0, 0});
  Tensor t = tensor({-3, 1, 3, 0}, {.dtype = f64, .requires_grad = true});
  norm(t, inf).backward();  // two elements with |x| = 3 share the gradient, with their signs
  CHECK(t.grad().to_vector() == std::vector<double>{-0.5, 0, 0.5, 0});
  t.zero_grad();
  norm(t, 1.0).backward();
  CHECK(t.grad().to_vector() == std::vector<double>{-1, 1, 1, 0});
  t.zero_grad();
  norm(t).backward();  // x / sqrt(19)
  check_close(t.grad().to_vector(), {-3 / std::sqrt(19.0L), 1 / std::sqrt(19.0L), 3 / std::sqrt(19.0L), 0});

  CHECK_THROWS_AS((void)norm(x, 3.0), ValueError);
  CHECK(error_of([&] { (void)norm(x, 0.5); }).find("norm: p = 0.5") == 0);
  CHECK_THROWS_AS((void)norm(zeros({0, 2}), inf, {0}), ValueError);
  CHECK(norm(zeros({0, 2}), 2.0, {0}).to_vector() == std::vector<double>{0, 0});
}

TEST_CASE("min and amin mirror max and amax: values, first-minimum and split-tie gradients, NaN") {
  const Tensor x = strided_input(13);
  std::vector<long double> want;
  for (const auto& b : blocks(x, {0, 2})) want.push_back(*std::min_element(b.begin(), b.end()));
  check_close(min(x, {0, 2}).to_vector(), want);
  check_close(amin(x, {0, -1}).to_vector(), want);

  Tensor t = tensor({{3, 1, 1}, {0, 2, 0}}, {.dtype = f64, .requires_grad = true});
  const Tensor w = tensor({10, 20}, {.dtype = f64});
  sum(min(t, {1}) * w).backward();
  CHECK(t.grad().to_vector() == std::vector<double>{0, 10, 0, 20, 0, 0});
  t.zero_grad();
  sum(amin(t, {1}) * w).backward();
  CHECK(t.grad().to_vector() == std::vector<double>{0, 5, 5, 10, 0, 10});
  CHECK(std::isnan(min(tensor({1.0, std::nan(""), -3.0})).item()));
  CHECK(amin(tensor({{4, -2}, {7, 1}}, {.dtype = DType::Int64}), {0}).to_vector() == std::vector<double>{4, -2});
  CHECK(error_of([] { (void)amin(zeros({0, 3}), {0}); }).find("amin") == 0);
}

TEST_CASE("logsumexp matches a long double loop, is stable, and handles -inf rows as PyTorch") {
  const Tensor x = strided_input(14);
  std::vector<long double> want;
  for (const auto& b : blocks(x, {1})) {
    long double s = 0;
    for (long double v : b) s += std::exp(v);
    want.push_back(std::log(s));
  }
  check_close(logsumexp(x, {1}).to_vector(), want);
  CHECK(logsumexp(x, {0, 2}, true).shape() == Shape{1, 3, 1});

  const double ninf = -std::numeric_limits<double>::infinity();
  const Tensor big = tensor({{1000, 1000}, {ninf, ninf}, {ninf, 0}}, {.dtype = f64});
  const auto y = logsumexp(big, {1}).to_vector();
  CHECK(y[0] == doctest::Approx(1000 + std::log(2.0)));
  CHECK(y[1] == ninf);
  CHECK(y[2] == 0.0);
  CHECK(logsumexp(zeros({0, 2}), {0}).to_vector() == std::vector<double>{ninf, ninf});

  Tensor g = big.detach().set_requires_grad(true);
  sum(logsumexp(g, {1})).backward();  // softmax of each row; the -inf row gets 0
  check_close(g.grad().to_vector(), {0.5L, 0.5L, 0, 0, 0, 1}, 1e-12);
}

TEST_CASE("cumsum matches a loop along every dim; its gradient is the suffix sum") {
  const Tensor x = strided_input(15);
  for (std::int64_t dim : {0, 1, 2, -1}) {
    CAPTURE(dim);
    const std::int64_t d = dim < 0 ? dim + 3 : dim;
    const Tensor y = cumsum(x, dim);
    std::vector<std::int64_t> idx(3, 0);
    for (idx[0] = 0; idx[0] < 2; ++idx[0]) {
      for (idx[1] = 0; idx[1] < 3; ++idx[1]) {
        for (idx[2] = 0; idx[2] < 4; ++idx[2]) {
          long double want = 0;
          std::vector<std::int64_t> j = idx;
          for (j[d] = 0; j[d] <= idx[d]; ++j[d]) want += x.value(j);
          CHECK(y.value(idx) == doctest::Approx(static_cast<double>(want)).epsilon(1e-13));
        }
      }
    }
  }
  Tensor v = tensor({1, 2, 3, 4}, {.dtype = f64, .requires_grad = true});
  sum(cumsum(v, 0) * tensor({1, 10, 100, 1000}, {.dtype = f64})).backward();
  CHECK(v.grad().to_vector() == std::vector<double>{1111, 1110, 1100, 1000});
  CHECK(cumsum(tensor({{1, 0, 1}}).clone_as(DType::Bool), 1).to_vector() == std::vector<double>{1, 1, 2});
  CHECK(cumsum(tensor({{1, 0, 1}}).clone_as(DType::Bool), 1).dtype() == DType::Int64);
  CHECK_THROWS_AS((void)cumsum(x, 3), IndexError);
  CHECK(error_of([&] { (void)cumsum(x, -4); }).find("cumsum") == 0);
}

TEST_CASE("sort and argsort match std::stable_sort along each dim, with ties and NaN") {
  // Values with many ties (drawn from 5 levels) and a NaN, read through a transposed view.
  std::vector<double> values;
  for (int i = 0; i < 24; ++i) values.push_back(static_cast<double>((i * 7) % 5) - 2.0);
  values[9] = std::nan("");
  const Tensor x = raw::as_strided(from_vector(values, {24}, {.dtype = f64}), {2, 3, 4}, {1, 2, 6}, 0);
  for (std::int64_t dim : {0, 1, 2}) {
    for (bool descending : {false, true}) {
      CAPTURE(dim);
      CAPTURE(descending);
      const SortResult r = sort(x, dim, descending);
      CHECK(argsort(x, dim, descending).to_vector() == r.indices.to_vector());
      std::vector<std::int64_t> idx(3, 0);
      for (idx[0] = 0; idx[0] < 2; ++idx[0]) {
        for (idx[1] = 0; idx[1] < 3; ++idx[1]) {
          for (idx[2] = 0; idx[2] < 4; ++idx[2]) {
            if (idx[dim] != 0) continue;  // one lane per start
            std::vector<double> lane;
            for (std::vector<std::int64_t> j = idx; j[dim] < x.size(dim); ++j[dim]) lane.push_back(x.value(j));
            std::vector<std::int64_t> order(lane.size());
            std::iota(order.begin(), order.end(), 0);
            // NaN above every number, as in PyTorch.
            const auto below = [&](std::int64_t a, std::int64_t b) {
              return lane[a] < lane[b] || (!std::isnan(lane[a]) && std::isnan(lane[b]));
            };
            std::stable_sort(order.begin(), order.end(),
                             [&](std::int64_t a, std::int64_t b) { return descending ? below(b, a) : below(a, b); });
            std::vector<std::int64_t> j = idx;
            for (std::size_t i = 0; i < order.size(); ++i, ++j[dim]) {
              CHECK(r.indices.value(j) == static_cast<double>(order[i]));
              const double v = r.values.value(j);
              CHECK((std::isnan(v) ? std::isnan(lane[order[i]]) : v == lane[order[i]]));
            }
          }
        }
      }
    }
  }
}

TEST_CASE("topk matches std::partial_sort by (value, position); the values carry gather's gradient") {
  const Tensor x = tensor({{3, 1, 3, 2, 3, 0}, {5, 5, 4, 5, 4, 4}}, {.dtype = f64});
  for (bool largest : {true, false}) {
    for (std::int64_t k : {0, 1, 3, 6}) {
      const SortResult r = topk(x, k, 1, largest);
      CHECK(r.indices.shape() == Shape{2, k});
      for (std::int64_t row = 0; row < 2; ++row) {
        std::vector<std::pair<double, std::int64_t>> keyed;
        for (std::int64_t j = 0; j < 6; ++j) keyed.emplace_back(largest ? -x.value({row, j}) : x.value({row, j}), j);
        std::partial_sort(keyed.begin(), keyed.begin() + k, keyed.end());  // ties: the earlier position first
        for (std::int64_t i = 0; i < k; ++i) {
          CHECK(r.indices.value({row, i}) == static_cast<double>(keyed[i].second));
          CHECK(r.values.value({row, i}) == x.value({row, keyed[i].second}));
        }
      }
    }
  }
  Tensor v = tensor({1, 7, 3, 7}, {.dtype = f64, .requires_grad = true});
  sum(topk(v, 2).values * tensor({10, 100}, {.dtype = f64})).backward();
  CHECK(v.grad().to_vector() == std::vector<double>{0, 10, 0, 100});
  v.zero_grad();
  sum(sort(v, 0, true).values * tensor({1, 2, 3, 4}, {.dtype = f64})).backward();
  CHECK(v.grad().to_vector() == std::vector<double>{4, 1, 3, 2});

  CHECK_THROWS_AS((void)topk(x, 7, 1), ValueError);
  CHECK(error_of([&] { (void)topk(x, 3, 0); }).find("topk") == 0);
  CHECK(error_of([&] { (void)topk(x, -1); }).find("[2, 6]") != std::string::npos);
  CHECK_THROWS_AS((void)sort(x, 2), IndexError);
  CHECK_THROWS_AS((void)argsort(x, -3), IndexError);
}

TEST_CASE("var, logsumexp, norm and cumsum give the same bits for 1 and 2 threads") {
  Generator gen(21);
  const Tensor x = rand({300, 1000}, gen);  // float32
  const Tensor flat = rand({1'000'000}, gen);
  const auto run = [&] {
    return std::vector<std::vector<float>>{var(x, {1}).to_vector_as<float>(),       var(flat).to_vector_as<float>(),
                                           logsumexp(x, {0}).to_vector_as<float>(), norm(flat).to_vector_as<float>(),
                                           cumsum(x, 0).to_vector_as<float>(),      cumsum(x, 1).to_vector_as<float>(),
                                           sort(x, 1).values.to_vector_as<float>()};
  };
  set_num_threads(1);
  const auto one = run();
  set_num_threads(2);
  const auto two = run();
  set_num_threads(0);
  for (std::size_t i = 0; i < one.size(); ++i) {
    CAPTURE(i);
    CHECK(one[i] == two[i]);
  }
  // And the float32 variance of a million uniforms is right: 1 / 12.
  CHECK(var(flat).item() == doctest::Approx(1.0 / 12).epsilon(1e-2));
}
