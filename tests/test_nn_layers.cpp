// Each layer's forward against hand-computed or naive-loop values, and its gradients
// through gradcheck (float64) with the parameters as checked inputs.
#include <doctest/doctest.h>

#include <cmath>

#include "ops/sample_inputs.hpp"
#include "tapegrad.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

constexpr TensorOptions kF64{.dtype = f64};

Tensor input(const Shape& shape, std::uint64_t seed, bool requires_grad = true) {
  Generator gen(seed);
  Tensor t = tg::uniform(shape, -1.0, 1.0, gen, kF64);
  if (requires_grad) t.set_requires_grad(true);
  return t;
}

void check_close(const Tensor& got, const std::vector<double>& want, double tol = 1e-12) {
  const auto g = got.to_vector();
  REQUIRE(g.size() == want.size());
  for (std::size_t i = 0; i < g.size(); ++i)
    CHECK_MESSAGE(std::abs(g[i] - want[i]) <= tol, "at ", i, ": ", g[i], " vs ", want[i]);
}

void check_gradients(const TensorFn& fn, const std::vector<Tensor>& inputs) {
  const auto report = gradcheck(fn, inputs);
  CHECK_MESSAGE(report.passed, report.message);
}

// Naive NCHW cross-correlation with stride and padding.
std::vector<double> naive_conv(const Tensor& x, const Tensor& w, const Tensor& b, std::int64_t s, std::int64_t p) {
  const std::int64_t n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
  const std::int64_t k = w.size(0), kh = w.size(2), kw = w.size(3);
  const std::int64_t oh = (h + 2 * p - kh) / s + 1, ow = (wd + 2 * p - kw) / s + 1;
  std::vector<double> out;
  for (std::int64_t in = 0; in < n; ++in)
    for (std::int64_t ik = 0; ik < k; ++ik)
      for (std::int64_t i = 0; i < oh; ++i)
        for (std::int64_t j = 0; j < ow; ++j) {
          double acc = b.defined() ? b.value({ik}) : 0.0;
          for (std::int64_t ic = 0; ic < c; ++ic)
            for (std::int64_t u = 0; u < kh; ++u)
              for (std::int64_t v = 0; v < kw; ++v) {
                const std::int64_t y = i * s + u - p, xx = j * s + v - p;
                if (y >= 0 && y < h && xx >= 0 && xx < wd) acc += w.value({ik, ic, u, v}) * x.value({in, ic, y, xx});
              }
          out.push_back(acc);
        }
  return out;
}

// Naive transposed convolution: every input pixel scatters the kernel, scaled.
std::vector<double> naive_conv_transpose(const Tensor& x, const Tensor& w, const Tensor& b, std::int64_t s,
                                         std::int64_t p) {
  const std::int64_t n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
  const std::int64_t k = w.size(1), kh = w.size(2), kw = w.size(3);
  const std::int64_t oh = (h - 1) * s - 2 * p + kh, ow = (wd - 1) * s - 2 * p + kw;
  std::vector<double> out(static_cast<std::size_t>(n * k * oh * ow), 0.0);
  auto at = [&](std::int64_t a, std::int64_t bb, std::int64_t i, std::int64_t j) -> double& {
    return out[static_cast<std::size_t>(((a * k + bb) * oh + i) * ow + j)];
  };
  for (std::int64_t in = 0; in < n; ++in)
    for (std::int64_t ik = 0; ik < k; ++ik)
      for (std::int64_t i = 0; i < oh; ++i)
        for (std::int64_t j = 0; j < ow; ++j) at(in, ik, i, j) = b.defined() ? b.value({ik}) : 0.0;
  for (std::int64_t in = 0; in < n; ++in)
    for (std::int64_t ic = 0; ic < c; ++ic)
      for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t xx = 0; xx < wd; ++xx)
          for (std::int64_t ik = 0; ik < k; ++ik)
            for (std::int64_t u = 0; u < kh; ++u)
              for (std::int64_t v = 0; v < kw; ++v) {
                const std::int64_t i = y * s + u - p, j = xx * s + v - p;
                if (i >= 0 && i < oh && j >= 0 && j < ow)
                  at(in, ik, i, j) += x.value({in, ic, y, xx}) * w.value({ic, ik, u, v});
              }
  return out;
}

}  // namespace

TEST_CASE("nn layers: Linear forward by hand and gradients") {
  Linear fc(2, 3, {.dtype = f64});
  raw::copy_into(fc.weight, tensor({{1, 2}, {3, 4}, {5, 6}}, kF64));
  raw::copy_into(fc.bias, tensor({1, 0, -1}, kF64));
  const Tensor y = fc(tensor({{1, 1}, {0, 2}}, kF64));
  CHECK(y.shape() == Shape{2, 3});
  check_close(y, {4, 7, 10, 5, 8, 11});
  CHECK_THROWS_AS(fc(zeros({2, 3}, kF64)), ShapeError);
  Linear nobias(3, 2, {.bias = false, .dtype = f64});
  CHECK(nobias.parameters().size() == 1);
  check_gradients(
      [&](const std::vector<Tensor>& in) {
        fc.weight = in[1];
        fc.bias = in[2];
        return fc(in[0]);
      },
      {input({4, 2}, 1), input({3, 2}, 2), input({3}, 3)});
}

TEST_CASE("nn layers: Conv2d against naive loops, and gradients") {
  Conv2d conv(2, 3, 3, {.stride = 2, .padding = 1, .dtype = f64});
  const Tensor x = input({2, 2, 5, 5}, 4, false);
  const Tensor y = conv(x);
  CHECK(y.shape() == Shape{2, 3, 3, 3});
  check_close(y, naive_conv(x, conv.weight, conv.bias, 2, 1));
  check_gradients(
      [&](const std::vector<Tensor>& in) {
        conv.weight = in[1];
        conv.bias = in[2];
        return conv(in[0]);
      },
      {input({1, 2, 5, 5}, 5), input({3, 2, 3, 3}, 6), input({3}, 7)});
}

TEST_CASE("nn layers: ConvTranspose2d against naive scatter, and gradients") {
  ConvTranspose2d convt(2, 3, 3, {.stride = 2, .padding = 1, .dtype = f64});
  const Tensor x = input({2, 2, 3, 3}, 8, false);
  const Tensor y = convt(x);
  CHECK(y.shape() == Shape{2, 3, 5, 5});
  check_close(y, naive_conv_transpose(x, convt.weight, convt.bias, 2, 1));
  check_gradients(
      [&](const std::vector<Tensor>& in) {
        convt.weight = in[1];
        convt.bias = in[2];
        return convt(in[0]);
      },
      {input({1, 2, 3, 3}, 9), input({2, 3, 3, 3}, 10), input({3}, 11)});
}

TEST_CASE("nn layers: pools by hand, and gradients") {
  // 1x1x4x4 with values 0..15 (row-major).
  std::vector<double> v(16);
  for (int i = 0; i < 16; ++i) v[static_cast<std::size_t>(i)] = i;
  const Tensor x = from_vector(v, {1, 1, 4, 4}, kF64);
  check_close(MaxPool2d({.kernel_size = 2})(x), {5, 7, 13, 15});
  check_close(AvgPool2d({.kernel_size = 2})(x), {2.5, 4.5, 10.5, 12.5});
  check_close(AvgPool2d({.kernel_size = 3, .stride = 1})(x), {5, 6, 9, 10});
  check_close(AdaptiveAvgPool2d({1, 1})(x), {7.5});
  check_close(AdaptiveAvgPool2d({2, 1})(x), {3.5, 11.5});
  CHECK(MaxPool2d().describe() == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))");
  Generator gen(12);
  const Tensor xd = samples::distinct_arg({2, 2, 4, 4}, gen).set_requires_grad(true);
  MaxPool2d maxpool({.kernel_size = 2});
  AvgPool2d avgpool({.kernel_size = 2, .stride = 1});
  AdaptiveAvgPool2d adaptive({3, 2});
  check_gradients([&](const std::vector<Tensor>& in) { return maxpool(in[0]); }, {xd});
  check_gradients([&](const std::vector<Tensor>& in) { return avgpool(in[0]); }, {input({2, 2, 4, 4}, 13)});
  check_gradients([&](const std::vector<Tensor>& in) { return adaptive(in[0]); }, {input({1, 2, 5, 4}, 14)});
}

TEST_CASE("nn layers: BatchNorm2d normalises, tracks running statistics, switches in eval") {
  BatchNorm2d bn(2, {.dtype = f64});
  const Tensor x = input({3, 2, 2, 2}, 15, false);
  const Tensor y = bn(x);
  // Per channel: naive mean and biased variance.
  for (std::int64_t c = 0; c < 2; ++c) {
    double m = 0, v = 0, ym = 0, yv = 0;
    for (std::int64_t n = 0; n < 3; ++n)
      for (std::int64_t i = 0; i < 2; ++i)
        for (std::int64_t j = 0; j < 2; ++j) m += x.value({n, c, i, j}) / 12.0;
    for (std::int64_t n = 0; n < 3; ++n)
      for (std::int64_t i = 0; i < 2; ++i)
        for (std::int64_t j = 0; j < 2; ++j) {
          const double d = x.value({n, c, i, j}) - m;
          v += d * d / 12.0;
        }
    for (std::int64_t n = 0; n < 3; ++n)
      for (std::int64_t i = 0; i < 2; ++i)
        for (std::int64_t j = 0; j < 2; ++j) {
          const double want = (x.value({n, c, i, j}) - m) / std::sqrt(v + 1e-5);
          CHECK(y.value({n, c, i, j}) == doctest::Approx(want).epsilon(1e-12));
          ym += y.value({n, c, i, j});
          yv += y.value({n, c, i, j}) * y.value({n, c, i, j});
        }
    CHECK(std::abs(ym) < 1e-12);
    // Biased variance of the output: v / (v + eps), just under 1.
    CHECK(yv / 12.0 == doctest::Approx(v / (v + 1e-5)).epsilon(1e-12));
    CHECK(bn.running_mean.value({c}) == doctest::Approx(0.1 * m).epsilon(1e-12));
    CHECK(bn.running_var.value({c}) == doctest::Approx(0.9 + 0.1 * v * 12.0 / 11.0).epsilon(1e-12));
  }
  CHECK(bn.num_batches_tracked.item() == 1.0);
  bn.eval();
  const Tensor ye = bn(x);
  CHECK(ye.value({1, 1, 0, 1}) == doctest::Approx((x.value({1, 1, 0, 1}) - bn.running_mean.value({1})) /
                                                  std::sqrt(bn.running_var.value({1}) + 1e-5))
                                      .epsilon(1e-12));
  CHECK(bn.num_batches_tracked.item() == 1.0);  // eval does not count
  CHECK_THROWS_AS(bn(zeros({2, 3, 2, 2}, kF64)), ShapeError);

  for (bool training : {true, false}) {
    bn.train(training);
    check_gradients(
        [&](const std::vector<Tensor>& in) {
          bn.weight = in[1];
          bn.bias = in[2];
          return bn(in[0]);
        },
        {input({2, 2, 3, 2}, 16), input({2}, 17), input({2}, 18)});
  }
}

TEST_CASE("nn layers: Dropout is seeded, scales kept values, identity in eval") {
  const Tensor x = ones({100, 100}, {.dtype = f64, .requires_grad = true});
  Dropout a(0.3, 5), b(0.3, 5), c(0.3, 6);
  const Tensor ya = a(x), yb = b(x), yc = c(x);
  CHECK(ya.to_vector() == yb.to_vector());
  CHECK(ya.to_vector() != yc.to_vector());
  std::int64_t zeros_count = 0;
  for (double v : ya.to_vector()) {
    CHECK((v == 0.0 || v == doctest::Approx(1.0 / 0.7)));
    zeros_count += v == 0.0;
  }
  CHECK(zeros_count > 2700);
  CHECK(zeros_count < 3300);
  sum(ya).backward();
  CHECK(x.grad().to_vector() == ya.to_vector());  // d(x * mask) / dx = mask
  a.eval();
  CHECK(a(x).is_same(x));
  CHECK_THROWS_AS(Dropout(1.5), ValueError);
}

TEST_CASE("nn layers: activations, Flatten and Softmax by hand") {
  const Tensor x = tensor({{-2.0, 0.5, 3.0}}, kF64);
  check_close(ReLU()(x), {0, 0.5, 3});
  check_close(LeakyReLU(0.1)(x), {-0.2, 0.5, 3});
  check_close(Sigmoid()(x), {1 / (1 + std::exp(2.0)), 1 / (1 + std::exp(-0.5)), 1 / (1 + std::exp(-3.0))});
  check_close(Tanh()(x), {std::tanh(-2.0), std::tanh(0.5), std::tanh(3.0)});
  const double z = std::exp(-2.0) + std::exp(0.5) + std::exp(3.0);
  check_close(Softmax(1)(x), {std::exp(-2.0) / z, std::exp(0.5) / z, std::exp(3.0) / z});
  check_close(LogSoftmax(-1)(x), {-2.0 - std::log(z), 0.5 - std::log(z), 3.0 - std::log(z)});
  CHECK(Flatten()(zeros({2, 3, 4, 5})).shape() == Shape{2, 60});
  CHECK(Flatten(0, 1)(zeros({2, 3, 4})).shape() == Shape{6, 4});
  CHECK_THROWS_AS(Flatten(3)(zeros({2, 3})), IndexError);
  LeakyReLU leaky(0.2);
  Tanh th;
  check_gradients([&](const std::vector<Tensor>& in) { return leaky(in[0]); },
                  {tensor({-1.0, -0.3, 0.4, 2.0}, {.dtype = f64, .requires_grad = true})});
  check_gradients([&](const std::vector<Tensor>& in) { return th(in[0]); }, {input({5}, 19)});
}

TEST_CASE("nn layers: Sequential equals the manual composition") {
  manual_seed(3);
  auto fc1 = std::make_shared<Linear>(4, 5, LinearOptions{.dtype = f64});
  auto fc2 = std::make_shared<Linear>(5, 2, LinearOptions{.dtype = f64});
  Sequential seq{fc1, std::make_shared<Tanh>(), fc2};
  CHECK(seq.size() == 3);
  const Tensor x = input({3, 4}, 20, false);
  CHECK(seq(x).to_vector() == (*fc2)(tanh((*fc1)(x))).to_vector());
  CHECK(seq.named_parameters()[2].first == "2.weight");
  CHECK_THROWS_AS(seq[3], IndexError);
}
