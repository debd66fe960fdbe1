// The class-index losses over sequences ([N, C, d1, ...]) with ignore_index, nll_loss and
// binary_cross_entropy: against the [N * L, C] form, loops and hand-computed numbers.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tapegrad.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

constexpr TensorOptions kF64{.dtype = f64};

Tensor labels(const std::vector<std::int64_t>& v, const Shape& shape) { return from_vector(v, shape); }

// logsumexp of x[n, :, l] for x [N, C, L], by a double loop.
double naive_lse(const std::vector<double>& x, std::int64_t c_count, std::int64_t l_count, std::int64_t n,
                 std::int64_t l) {
  double z = 0.0;
  for (std::int64_t c = 0; c < c_count; ++c)
    z += std::exp(x[static_cast<std::size_t>((n * c_count + c) * l_count + l)]);
  return std::log(z);
}

void check_close(const std::vector<double>& got, const std::vector<double>& expected, double tol = 1e-12) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i] == doctest::Approx(expected[i]).epsilon(tol));
  }
}

}  // namespace

TEST_CASE("cross_entropy over [N, C, L] equals the permuted [N * L, C] form and a naive loop") {
  Generator gen(31);
  const std::int64_t n = 2, c = 5, l = 3;
  const Tensor x = randn({n, c, l}, gen, {.dtype = f64, .requires_grad = true});
  const std::vector<std::int64_t> t{4, 0, 2, 1, 1, 3};
  const Tensor loss = cross_entropy(x, labels(t, {n, l}), {.reduction = Reduction::None});
  CHECK(loss.shape() == Shape{n, l});

  const Tensor xr = permute(x.detach(), {0, 2, 1}).contiguous();
  Tensor rows = reshape(xr, {n * l, c});
  rows.set_requires_grad(true);
  const Tensor flat = cross_entropy(rows, labels(t, {n * l}), {.reduction = Reduction::None});
  CHECK(loss.to_vector() == flat.to_vector());  // the same row kernel on the same rows

  const auto xv = x.to_vector();
  std::vector<double> naive;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t k = 0; k < l; ++k) {
      const std::int64_t label = t[static_cast<std::size_t>(i * l + k)];
      naive.push_back(naive_lse(xv, c, l, i, k) - xv[static_cast<std::size_t>((i * c + label) * l + k)]);
    }
  }
  check_close(loss.to_vector(), naive);

  // Gradients of the mean: the [N * L, C] gradient permuted back.
  mean(loss).backward();
  mean(flat).backward();
  const Tensor back = permute(reshape(rows.grad(), {n, l, c}), {0, 2, 1});
  check_close(x.grad().to_vector(), back.contiguous().to_vector(), 1e-14);
}

TEST_CASE("cross_entropy ignore_index: loss 0, no gradient, the mean over the kept targets") {
  const Tensor x = tensor({{1.0, 2.0, 3.0}, {0.5, -1.0, 0.25}, {0.0, 0.0, 1.0}}, {.dtype = f64, .requires_grad = true});
  const Tensor t = labels({2, -100, 0}, {3});
  const auto none = cross_entropy(x, t, {.reduction = Reduction::None}).to_vector();
  CHECK(none[1] == 0.0);
  // Kept rows agree with the batch of those rows alone.
  const Tensor kept_x = tensor({{1.0, 2.0, 3.0}, {0.0, 0.0, 1.0}}, {.dtype = f64, .requires_grad = true});
  const Tensor kept_t = labels({2, 0}, {2});
  const auto kept = cross_entropy(kept_x, kept_t, {.reduction = Reduction::None}).to_vector();
  CHECK(none[0] == kept[0]);
  CHECK(none[2] == kept[1]);
  const Tensor m = cross_entropy(x, t);
  CHECK(m.item<double>() == doctest::Approx((kept[0] + kept[1]) / 2).epsilon(1e-15));
  CHECK(cross_entropy(x, t, {.reduction = Reduction::Sum}).item<double>() ==
        doctest::Approx(kept[0] + kept[1]).epsilon(1e-15));
  m.backward();
  cross_entropy(kept_x, kept_t).backward();
  const auto g = x.grad().to_vector(), gk = kept_x.grad().to_vector();
  check_close({g[0], g[1], g[2], g[6], g[7], g[8]}, gk, 1e-15);
  CHECK(g[3] == 0.0);
  CHECK(g[4] == 0.0);
  CHECK(g[5] == 0.0);

  // All ignored: the mean is 0 / 0 = NaN (PyTorch), the sum 0.
  const Tensor all = labels({-100, -100, -100}, {3});
  CHECK(std::isnan(cross_entropy(x.detach(), all).item<double>()));
  CHECK(cross_entropy(x.detach(), all, {.reduction = Reduction::Sum}).item<double>() == 0.0);
  // An ignore_index inside [0, C) ignores that class; anything else out of range is an error.
  const auto ignore_two = cross_entropy(x.detach(), labels({2, 1, 2}, {3}), {.ignore_index = 2});
  CHECK(ignore_two.item<double>() == doctest::Approx(std::log(std::exp(0.5) + std::exp(-1.0) + std::exp(0.25)) + 1.0));
  CHECK_THROWS_AS(cross_entropy(x.detach(), labels({2, -1, 0}, {3})), IndexError);
  CHECK_THROWS_AS(cross_entropy(x.detach(), labels({2, -100, 0}, {3}), {.ignore_index = -1}), IndexError);
  // Without ignored targets, setting ignore_index changes no bit.
  const Tensor t_full = labels({2, 1, 0}, {3});
  CHECK(equal(cross_entropy(x.detach(), t_full), cross_entropy(x.detach(), t_full, {.ignore_index = 7})));
}

TEST_CASE("cross_entropy label smoothing with ignore_index, by hand") {
  // Row 0: lse - (1 - s) x_t - s mean(x) with s = 0.1; row 1 ignored; the mean over 1 row.
  const Tensor x = tensor({{1.0, 2.0, 3.0}, {0.5, -1.0, 0.25}}, {.dtype = f64, .requires_grad = true});
  const Tensor t = labels({2, -100}, {2});
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  const double expected = lse - 0.9 * 3.0 - 0.1 * 2.0;
  const Tensor loss = cross_entropy(x, t, {.label_smoothing = 0.1});
  CHECK(loss.item<double>() == doctest::Approx(expected).epsilon(1e-15));
  loss.backward();
  // d/dx of row 0: softmax - q with q = 0.9 onehot(2) + 0.1 / 3; row 1 zero.
  const double q = 0.1 / 3;
  check_close(x.grad().to_vector(),
              {std::exp(1.0 - lse) - q, std::exp(2.0 - lse) - q, std::exp(3.0 - lse) - q - 0.9, 0.0, 0.0, 0.0}, 1e-14);
  // The same over [N, C, L] = [1, 3, 2], the ignored position second.
  const Tensor x3 = permute(x.detach(), {1, 0}).contiguous();
  const Tensor l3 = cross_entropy(reshape(x3, {1, 3, 2}), labels({2, -100}, {1, 2}), {.label_smoothing = 0.1});
  CHECK(l3.item<double>() == doctest::Approx(expected).epsilon(1e-15));
}

TEST_CASE("nll_loss over [N, C, L] with ignore_index, and the old signature") {
  const Tensor lp = tensor({{-0.5, -1.5}, {-2.0, -0.25}, {-1.0, -3.0}}, kF64);  // [C = 3, L = 2]
  const Tensor x = reshape(lp, {1, 3, 2});
  Tensor xg = x.detach();
  xg.set_requires_grad(true);
  const Tensor t = labels({1, -100}, {1, 2});
  const Tensor none = nll_loss(xg, t, {.reduction = Reduction::None});
  CHECK(none.shape() == Shape{1, 2});
  CHECK(none.to_vector() == std::vector<double>{2.0, 0.0});
  const Tensor m = nll_loss(xg, t, NllLossOptions{});
  CHECK(m.item<double>() == 2.0);  // the mean over the one kept position
  m.backward();
  CHECK(xg.grad().to_vector() == std::vector<double>{0.0, 0.0, -1.0, 0.0, 0.0, 0.0});
  CHECK(nll_loss(x, labels({0, 2}, {1, 2}), {.reduction = Reduction::Sum}).item<double>() == 0.5 + 3.0);
  CHECK(nll_loss(x, labels({0, 2}, {1, 2}), {.ignore_index = 2}).item<double>() == 0.5);

  // The [N, C] signature with a Reduction still works, and nll of log_softmax is cross_entropy
  // over [N, C, L] too.
  const Tensor flat = tensor({{-0.5, -1.0}, {-2.0, -0.1}}, kF64);
  CHECK(nll_loss(flat, labels({1, 0}, {2}), Reduction::Sum).item<double>() == 3.0);
  Generator gen(32);
  const Tensor logits = randn({2, 4, 3}, gen, kF64);
  const Tensor target = labels({0, 3, 3, 1, -100, 2}, {2, 3});
  CHECK(nll_loss(log_softmax(logits, 1), target, NllLossOptions{}).item<double>() ==
        doctest::Approx(cross_entropy(logits, target).item<double>()).epsilon(1e-14));
  CHECK_THROWS_AS(nll_loss(x, labels({0, 3}, {1, 2}), NllLossOptions{}), IndexError);
  CHECK_THROWS_AS(nll_loss(x, labels({0, 1}, {2}), NllLossOptions{}), ShapeError);
}

TEST_CASE("binary_cross_entropy by hand: clamped logs, PyTorch's gradient, errors") {
  const Tensor p = tensor({0.2, 0.9, 0.5, 0.0, 1.0, 1.0}, {.dtype = f64, .requires_grad = true});
  const Tensor y = tensor({1.0, 0.0, 0.3, 1.0, 1.0, 0.0}, kF64);
  const auto none = binary_cross_entropy(p, y, Reduction::None).to_vector();
  // -log 0.2; -log(1 - 0.9); -(0.3 + 0.7) log 0.5; log 0 clamped to -100; 0; log(1 - 1) clamped.
  check_close(none, {-std::log(0.2), -std::log(0.1), std::log(2.0), 100.0, 0.0, 100.0}, 1e-14);
  const Tensor m = binary_cross_entropy(p, y);
  CHECK(m.item<double>() == doctest::Approx((-std::log(0.2) - std::log(0.1) + std::log(2.0) + 200.0) / 6));
  binary_cross_entropy(p, y, Reduction::Sum).backward();
  // (p - y) / max(p (1 - p), 1e-12): -0.8 / 0.16, 0.9 / 0.09, 0.2 / 0.25, -1 / 1e-12, 0, 1 / 1e-12.
  check_close(p.grad().to_vector(), {-5.0, 10.0, 0.8, -1e12, 0.0, 1e12}, 1e-12);
  // The target's gradient: log(1 - p) - log p (each clamped).
  const Tensor yg = tensor({0.25}, {.dtype = f64, .requires_grad = true});
  binary_cross_entropy(tensor({0.2}, kF64), yg, Reduction::Sum).backward();
  CHECK(yg.grad().item<double>() == doctest::Approx(std::log(0.8) - std::log(0.2)));

  try {
    (void)binary_cross_entropy(tensor({0.5, 1.5}, kF64), tensor({0.0, 1.0}, kF64));
    FAIL("no error");
  } catch (const ValueError& e) {
    CHECK(std::string(e.what()).find("input[1] = 1.5 is not a probability") != std::string::npos);
  }
  CHECK_THROWS_AS(binary_cross_entropy(tensor({-0.1}, kF64), tensor({0.0}, kF64)), ValueError);
  CHECK_THROWS_AS(binary_cross_entropy(tensor({std::numeric_limits<double>::quiet_NaN()}, kF64), tensor({0.0}, kF64)),
                  ValueError);
  CHECK_THROWS_AS(binary_cross_entropy(tensor({0.5, 0.5}, kF64), tensor({0.0}, kF64)), ShapeError);
  // Empty: the mean is NaN, the sum 0.
  CHECK(std::isnan(binary_cross_entropy(zeros({0}, kF64), zeros({0}, kF64)).item<double>()));
}

TEST_CASE("class weights: nll_loss and cross_entropy scale by weight[t], the mean divides by their sum") {
  const Tensor lp = tensor({{-0.5, -1.5, -2.0}, {-1.0, -0.75, -3.0}, {-0.1, -0.2, -0.3}}, kF64);
  const Tensor w = tensor({1.0, 2.0, 3.0}, kF64);
  const Tensor t = labels({0, 2, -100}, {3});
  CHECK(nll_loss(lp, t, {.weight = w}).item<double>() == doctest::Approx((1 * 0.5 + 3 * 3.0) / 4).epsilon(1e-15));
  CHECK(nll_loss(lp, t, {.reduction = Reduction::Sum, .weight = w}).item<double>() == doctest::Approx(9.5));
  CHECK(nll_loss(lp, t, {.reduction = Reduction::None, .weight = w}).to_vector() == std::vector<double>{0.5, 9.0, 0.0});

  // cross_entropy: by a loop over log-softmax rows, with and without label smoothing.
  const Tensor x =
      tensor({{1.0, 2.0, 3.0}, {0.5, -1.0, 0.25}, {0.0, 2.0, -1.0}}, {.dtype = f64, .requires_grad = true});
  const Tensor cw = tensor({0.5, 1.0, 2.0}, kF64);
  const Tensor target = labels({2, 0, -100}, {3});
  const auto xv = x.to_vector();
  const auto log_p = [&](int row, int col) {
    double z = 0.0;
    for (int c = 0; c < 3; ++c) z += std::exp(xv[static_cast<std::size_t>(row * 3 + c)]);
    return xv[static_cast<std::size_t>(row * 3 + col)] - std::log(z);
  };
  const std::vector<double> wv{0.5, 1.0, 2.0};
  for (const double s : {0.0, 0.2}) {
    CAPTURE(s);
    double total = 0.0;
    const int tv[2] = {2, 0};
    for (int row = 0; row < 2; ++row) {
      double smooth = 0.0;
      for (int c = 0; c < 3; ++c) smooth -= wv[static_cast<std::size_t>(c)] * log_p(row, c);
      total += (1 - s) * wv[static_cast<std::size_t>(tv[row])] * -log_p(row, tv[row]) + s / 3 * smooth;
    }
    const Tensor loss = cross_entropy(x, target, {.label_smoothing = s, .weight = cw});
    CHECK(loss.item<double>() == doctest::Approx(total / (2.0 + 0.5)).epsilon(1e-14));
  }
  // Without label smoothing, the composed weighted path equals the fused op's losses scaled.
  const auto plain = cross_entropy(x, target, {.reduction = Reduction::None}).to_vector();
  const auto weighted = cross_entropy(x, target, {.reduction = Reduction::None, .weight = cw}).to_vector();
  check_close(weighted, {2.0 * plain[0], 0.5 * plain[1], 0.0}, 1e-14);
  // Gradients over [N, C, L] with ignored positions and smoothing.
  Generator gen(33);
  const Tensor x3 = randn({2, 3, 2}, gen, {.dtype = f64, .requires_grad = true});
  const Tensor t3 = labels({1, -100, 0, 2}, {2, 2});
  const auto report = gradcheck(
      [&](const std::vector<Tensor>& in) { return cross_entropy(in[0], t3, {.label_smoothing = 0.1, .weight = cw}); },
      {x3});
  CHECK_MESSAGE(report.passed, report.message);
  CHECK_THROWS_AS(cross_entropy(x, target, {.weight = tensor({1.0, 2.0}, kF64)}), ShapeError);
  CHECK_THROWS_AS(nll_loss(lp, t, {.weight = labels({1, 1, 1}, {3})}), DTypeError);
}
