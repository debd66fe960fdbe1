// Losses against hand-computed values, their gradients (gradcheck), reductions, errors.
#include <doctest/doctest.h>

#include <cmath>

#include "tapegrad.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

constexpr TensorOptions kF64{.dtype = f64};
const Tensor kTarget = from_vector(std::vector<std::int64_t>{2, 0}, {2});

Tensor logits(bool requires_grad = false) {
  return tensor({{1.0, 2.0, 3.0}, {0.5, -1.0, 0.25}}, {.dtype = f64, .requires_grad = requires_grad});
}

// Hand-computed log-softmax of the rows of logits().
double logp(int row, int col) {
  const double r[2][3] = {{1.0, 2.0, 3.0}, {0.5, -1.0, 0.25}};
  double z = 0;
  for (double v : r[row]) z += std::exp(v);
  return r[row][col] - std::log(z);
}

void check_grad(const TensorFn& fn, const std::vector<Tensor>& inputs) {
  const auto report = gradcheck(fn, inputs);
  CHECK_MESSAGE(report.passed, report.message);
}

}  // namespace

TEST_CASE("nn loss: cross_entropy by hand, with reductions and label smoothing") {
  const double l0 = -logp(0, 2), l1 = -logp(1, 0);
  CHECK(cross_entropy(logits(), kTarget).item() == doctest::Approx((l0 + l1) / 2).epsilon(1e-14));
  CHECK(cross_entropy(logits(), kTarget, {.reduction = Reduction::Sum}).item() ==
        doctest::Approx(l0 + l1).epsilon(1e-14));
  const auto none = cross_entropy(logits(), kTarget, {.reduction = Reduction::None}).to_vector();
  CHECK(none[0] == doctest::Approx(l0).epsilon(1e-14));
  CHECK(none[1] == doctest::Approx(l1).epsilon(1e-14));
  // Smoothing s: -(1 - s) logp[t] - s * mean_c logp[c].
  const double s = 0.2;
  auto smooth = [&](int row, int t) {
    return -(1 - s) * logp(row, t) - s * (logp(row, 0) + logp(row, 1) + logp(row, 2)) / 3;
  };
  CHECK(cross_entropy(logits(), kTarget, {.label_smoothing = s}).item() ==
        doctest::Approx((smooth(0, 2) + smooth(1, 0)) / 2).epsilon(1e-14));
  // Large logits stay finite (log-sum-exp is shifted).
  const Tensor big = tensor({{1000.0, 0.0}}, kF64);
  CHECK(cross_entropy(big, from_vector(std::vector<std::int64_t>{1}, {1})).item() == doctest::Approx(1000.0));
}

TEST_CASE("nn loss: cross_entropy gradient is (softmax - target) / N, and passes gradcheck") {
  const Tensor x = logits(true);
  cross_entropy(x, kTarget).backward();
  const auto g = x.grad().to_vector();
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c) {
      const double onehot = (r == 0 && c == 2) || (r == 1 && c == 0) ? 1.0 : 0.0;
      CHECK(g[static_cast<std::size_t>(r * 3 + c)] ==
            doctest::Approx((std::exp(logp(r, c)) - onehot) / 2).epsilon(1e-12));
    }
  for (double s : {0.0, 0.3})
    for (Reduction red : {Reduction::Mean, Reduction::Sum, Reduction::None})
      check_grad(
          [&](const std::vector<Tensor>& in) {
            return cross_entropy(in[0], kTarget, {red, s});
          },
          {logits(true)});
  const auto gg =
      gradgradcheck([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], kTarget); }, {logits(true)});
  CHECK_MESSAGE(gg.passed, gg.message);
}

TEST_CASE("nn loss: nll_loss, mse_loss, l1_loss by hand and gradients") {
  const Tensor lp = tensor({{-0.1, -2.0, -3.0}, {-1.5, -0.5, -4.0}}, {.dtype = f64, .requires_grad = true});
  CHECK(nll_loss(lp, kTarget).item() == doctest::Approx((3.0 + 1.5) / 2));
  CHECK(nll_loss(lp, kTarget, Reduction::Sum).item() == doctest::Approx(4.5));
  // nll of log_softmax equals cross_entropy.
  CHECK(nll_loss(log_softmax(logits(), 1), kTarget).item() ==
        doctest::Approx(cross_entropy(logits(), kTarget).item()).epsilon(1e-14));
  check_grad([&](const std::vector<Tensor>& in) { return nll_loss(in[0], kTarget); }, {lp});

  const Tensor a = tensor({1.0, -2.0, 0.5}, {.dtype = f64, .requires_grad = true});
  const Tensor b = tensor({0.0, 1.0, 0.75}, {.dtype = f64, .requires_grad = true});
  CHECK(mse_loss(a, b).item() == doctest::Approx((1 + 9 + 0.0625) / 3));
  CHECK(mse_loss(a, b, Reduction::Sum).item() == doctest::Approx(10.0625));
  CHECK(l1_loss(a, b).item() == doctest::Approx((1 + 3 + 0.25) / 3));
  CHECK(l1_loss(a, b, Reduction::None).to_vector() == std::vector<double>{1, 3, 0.25});
  check_grad([&](const std::vector<Tensor>& in) { return mse_loss(in[0], in[1]); }, {a, b});
  check_grad([&](const std::vector<Tensor>& in) { return l1_loss(in[0], in[1], Reduction::Sum); }, {a, b});
}

TEST_CASE("nn loss: binary_cross_entropy_with_logits by hand, stable, gradients") {
  const Tensor x = tensor({0.0, 2.0, -3.0, 40.0}, {.dtype = f64, .requires_grad = true});
  const Tensor y = tensor({1.0, 0.0, 0.5, 0.0}, {.dtype = f64, .requires_grad = true});
  auto bce = [](double xv, double yv) {
    const double sg = 1 / (1 + std::exp(-xv));
    return -(yv * std::log(sg) + (1 - yv) * std::log(1 - sg));
  };
  const auto none = binary_cross_entropy_with_logits(x, y, Reduction::None).to_vector();
  CHECK(none[0] == doctest::Approx(bce(0, 1)).epsilon(1e-14));
  CHECK(none[1] == doctest::Approx(bce(2, 0)).epsilon(1e-14));
  CHECK(none[2] == doctest::Approx(bce(-3, 0.5)).epsilon(1e-14));
  CHECK(none[3] == doctest::Approx(40.0).epsilon(1e-14));  // 1 - sigmoid(40) underflows in the naive form
  binary_cross_entropy_with_logits(x, y, Reduction::Sum).backward();
  CHECK(x.grad().value({0}) == doctest::Approx(0.5 - 1.0));  // sigmoid(0) - y, also at the kink-free 0
  check_grad([&](const std::vector<Tensor>& in) { return binary_cross_entropy_with_logits(in[0], in[1]); },
             {tensor({0.0, 2.0, -3.0}, {.dtype = f64, .requires_grad = true}),
              tensor({1.0, 0.2, 0.5}, {.dtype = f64, .requires_grad = true})});
}

TEST_CASE("nn loss: errors name the loss and the problem") {
  CHECK_THROWS_AS(cross_entropy(logits(), from_vector(std::vector<std::int64_t>{3, 0}, {2})), IndexError);
  CHECK_THROWS_AS(cross_entropy(logits(), from_vector(std::vector<std::int64_t>{-1, 0}, {2})), IndexError);
  CHECK_THROWS_AS(cross_entropy(logits(), tensor({2.0, 0.0}, kF64)), DTypeError);
  CHECK_THROWS_AS(cross_entropy(logits(), from_vector(std::vector<std::int64_t>{1}, {1})), ShapeError);
  CHECK_THROWS_AS(cross_entropy(zeros({2, 3, 4}), kTarget), ShapeError);
  CHECK_THROWS_AS(cross_entropy(logits(), kTarget, {.label_smoothing = 1.5}), ValueError);
  CHECK_THROWS_AS(mse_loss(zeros({2}), zeros({3})), ShapeError);
  try {
    (void)cross_entropy(logits(), from_vector(std::vector<std::int64_t>{2, 7}, {2}));
  } catch (const IndexError& e) {
    CHECK(std::string(e.what()) == "cross_entropy: target[1] = 7 is out of range for 3 classes");
  }
}
