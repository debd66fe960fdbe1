// Conv1d (functional and layer) against a naive loop and gradcheck; BatchNorm1d over
// [N, C] and [N, C, L] against per-channel loops, in training and eval.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "conv_test_util.hpp"
#include "tapegrad.hpp"
#include "test_nn_util.hpp"

using namespace tg;
using conv_test::rand64;

namespace {

// y[n,k,i] = b[k] + sum_{c,u} w[k,c,u] x[n, g*Cg + c, i*s + u*d - p], zero outside the input.
std::vector<double> naive_conv1d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv1dOptions& o,
                                 std::int64_t out_len) {
  const std::int64_t n_batch = x.size(0), cin = x.size(1), len = x.size(2);
  const std::int64_t cout = w.size(0), cin_g = w.size(1), k = w.size(2), cout_g = cout / o.groups;
  const auto xv = x.to_vector(), wv = w.to_vector();
  const auto bv = b.defined() ? b.to_vector() : std::vector<double>(static_cast<std::size_t>(cout), 0.0);
  std::vector<double> y;
  for (std::int64_t n = 0; n < n_batch; ++n)
    for (std::int64_t oc = 0; oc < cout; ++oc)
      for (std::int64_t i = 0; i < out_len; ++i) {
        double s = bv[static_cast<std::size_t>(oc)];
        const std::int64_t g = oc / cout_g;
        for (std::int64_t c = 0; c < cin_g; ++c)
          for (std::int64_t u = 0; u < k; ++u) {
            const std::int64_t pos = i * o.stride + u * o.dilation - o.padding;
            if (pos < 0 || pos >= len) continue;
            s += wv[static_cast<std::size_t>((oc * cin_g + c) * k + u)] *
                 xv[static_cast<std::size_t>((n * cin + g * cin_g + c) * len + pos)];
          }
        y.push_back(s);
      }
  return y;
}

void check_close(const std::vector<double>& got, const std::vector<double>& want, double eps = 1e-12) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(eps));
}

}  // namespace

TEST_CASE("conv1d: naive loop over stride, padding, dilation, groups; gradcheck") {
  Generator gen(17);
  struct Case {
    std::int64_t cin, cout, len, k;
    Conv1dOptions o;
    bool bias;
  };
  for (const Case& c : {Case{2, 3, 7, 3, {}, true}, Case{2, 4, 9, 3, {.stride = 2, .padding = 1}, true},
                        Case{4, 2, 10, 2, {.padding = 2, .dilation = 3, .groups = 2}, false},
                        Case{3, 6, 8, 3, {.stride = 3, .padding = 1, .dilation = 2, .groups = 3}, true}}) {
    CAPTURE(c.o.stride);
    CAPTURE(c.o.groups);
    const Tensor x = rand64({2, c.cin, c.len}, gen, true);
    const Tensor w = rand64({c.cout, c.cin / c.o.groups, c.k}, gen, true);
    const Tensor b = c.bias ? rand64({c.cout}, gen, true) : Tensor();
    const std::int64_t out_len = (c.len + 2 * c.o.padding - c.o.dilation * (c.k - 1) - 1) / c.o.stride + 1;
    const Tensor y = conv1d(x, w, b, c.o);
    CHECK(y.shape() == Shape{2, c.cout, out_len});
    check_close(y.to_vector(), naive_conv1d(x, w, b, c.o, out_len));
    std::vector<Tensor> inputs{x, w};
    if (c.bias) inputs.push_back(b);
    const auto fn = [&](const std::vector<Tensor>& in) { return conv1d(in[0], in[1], c.bias ? in[2] : Tensor(), c.o); };
    const GradcheckReport report = gradcheck(fn, inputs);
    CHECK_MESSAGE(report.passed, report.summary());
  }
}

TEST_CASE("conv1d: errors name conv1d and the caller's shapes") {
  const Tensor x = zeros({1, 3, 5}, {.dtype = f64});
  CHECK_THROWS_AS(conv1d(zeros({3, 5}, {.dtype = f64}), zeros({2, 3, 1}, {.dtype = f64})), ShapeError);
  const std::string msg = nn_test::error_of<ShapeError>([&] { conv1d(x, zeros({2, 2, 3}, {.dtype = f64})); });
  CHECK(msg.find("conv1d on input [1, 3, 5] and weight [2, 2, 3]") != std::string::npos);
  CHECK_THROWS_AS(conv1d(x, zeros({2, 3, 1}, {.dtype = f64}), Tensor(), {.stride = 0}), ValueError);
  CHECK(conv1d(zeros({0, 3, 5}, {.dtype = f64}), zeros({2, 3, 2}, {.dtype = f64})).shape() == Shape{0, 2, 4});
}

TEST_CASE("nn Conv1d: shapes and PyTorch's init bounds, forward is conv1d") {
  nn::Conv1d conv(4, 6, 3, {.padding = 1, .groups = 2, .dtype = f64});
  CHECK(conv.weight.shape() == Shape{6, 2, 3});
  CHECK(conv.bias.shape() == Shape{6});
  const double bound = 1.0 / std::sqrt(2.0 * 3.0);  // 1 / sqrt(fan_in), fan_in = C_in/groups * K
  for (const Tensor& t : {conv.weight, conv.bias})
    for (double v : t.to_vector()) CHECK(std::abs(v) <= bound);
  Generator gen(3);
  const Tensor x = rand64({2, 4, 5}, gen);
  const Tensor y = conv.forward(x);
  check_close(y.to_vector(), naive_conv1d(x, conv.weight, conv.bias, {.padding = 1, .groups = 2}, 5));
  CHECK(conv.describe() == "Conv1d(4, 6, kernel_size=3, stride=1, padding=1, groups=2)");
  CHECK_THROWS_AS(nn::Conv1d(3, 4, 3, {.groups = 2}), ValueError);
  // Conv2d draws the same numbers as a Conv1d with the same fan-in from the same seed (one
  // init path), so the shared construction did not change Conv2d's initialisation.
  Generator g1(5), g2(5);
  nn::Conv1d c1(2, 3, 4, {}, g1);
  nn::Conv2d c2(2, 3, {1, 4}, {}, g2);
  CHECK(c1.weight.to_vector() == c2.weight.to_vector());
  CHECK(c1.bias.to_vector() == c2.bias.to_vector());
}

namespace {

// Per-channel batch norm by loops over x [N, C, L] (L = 1 for [N, C]): returns y and updates
// the running statistics as PyTorch (unbiased variance in the running estimate).
std::vector<double> naive_batch_norm(const std::vector<double>& x, std::int64_t n_batch, std::int64_t channels,
                                     std::int64_t len, bool training, std::vector<double>& running_mean,
                                     std::vector<double>& running_var, const std::vector<double>& weight,
                                     const std::vector<double>& bias) {
  std::vector<double> y(x.size());
  const double eps = 1e-5, momentum = 0.1, count = static_cast<double>(n_batch * len);
  const auto at = [&](std::int64_t n, std::int64_t c, std::int64_t l) {
    return static_cast<std::size_t>((n * channels + c) * len + l);
  };
  for (std::int64_t c = 0; c < channels; ++c) {
    const auto ci = static_cast<std::size_t>(c);
    double mean = running_mean[ci], var = running_var[ci];
    if (training) {
      double s = 0, ss = 0;
      for (std::int64_t n = 0; n < n_batch; ++n)
        for (std::int64_t l = 0; l < len; ++l) s += x[at(n, c, l)];
      mean = s / count;
      for (std::int64_t n = 0; n < n_batch; ++n)
        for (std::int64_t l = 0; l < len; ++l) ss += (x[at(n, c, l)] - mean) * (x[at(n, c, l)] - mean);
      var = ss / count;
      running_mean[ci] = (1 - momentum) * running_mean[ci] + momentum * mean;
      running_var[ci] = (1 - momentum) * running_var[ci] + momentum * ss / (count - 1);
    }
    for (std::int64_t n = 0; n < n_batch; ++n)
      for (std::int64_t l = 0; l < len; ++l)
        y[at(n, c, l)] = (x[at(n, c, l)] - mean) / std::sqrt(var + eps) * weight[ci] + bias[ci];
  }
  return y;
}

}  // namespace

TEST_CASE("nn BatchNorm1d: [N, C] and [N, C, L] against loops, training then eval") {
  Generator gen(11);
  for (const Shape& shape : {Shape{5, 3}, Shape{4, 3, 6}}) {
    CAPTURE(shape);
    nn::BatchNorm1d bn(3, {.dtype = f64});
    bn.weight.set_value({1}, 2.0);  // distinct affine parameters, so they are shown to apply
    bn.bias.set_value({2}, -0.5);
    const std::int64_t len = shape.size() == 3 ? shape[2] : 1;
    std::vector<double> rm(3, 0.0), rv(3, 1.0);
    for (int step = 0; step < 2; ++step) {
      const Tensor x = rand64(shape, gen);
      const auto want =
          naive_batch_norm(x.to_vector(), shape[0], 3, len, true, rm, rv, bn.weight.to_vector(), bn.bias.to_vector());
      check_close(bn.forward(x).to_vector(), want, 1e-10);
    }
    check_close(bn.running_mean.to_vector(), rm);
    check_close(bn.running_var.to_vector(), rv);
    CHECK(bn.num_batches_tracked.item() == 2.0);
    bn.eval();
    const Tensor x = rand64(shape, gen);
    const auto want =
        naive_batch_norm(x.to_vector(), shape[0], 3, len, false, rm, rv, bn.weight.to_vector(), bn.bias.to_vector());
    check_close(bn.forward(x).to_vector(), want, 1e-10);
    CHECK(bn.num_batches_tracked.item() == 2.0);
  }
  nn::BatchNorm1d bn(3);
  CHECK(bn.describe() == "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true)");
  const std::string msg = nn_test::error_of<ShapeError>([&] { bn.forward(zeros({2, 3, 4, 5})); });
  CHECK(msg == "BatchNorm1d: expected input [N, 3] or [N, 3, L], got shape [2, 3, 4, 5]");
  CHECK_THROWS_AS(bn.forward(zeros({2, 4})), ShapeError);
  CHECK_THROWS_AS(nn::BatchNorm2d(2).forward(zeros({2, 2, 3})), ShapeError);
}
