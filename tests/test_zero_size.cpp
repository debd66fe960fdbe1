// Zero-size tensors: every op returns empty results (or the value of an empty sum) where
// PyTorch does, and its gradients have the inputs' shapes: empty, or zeros where the input
// is not empty (the weight gradient of an empty batch). Convolution is tested hardest: its
// kernels divide by the batch and the plane sizes, and a bogus scratch size there used to
// corrupt every later convolution on the thread.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "conv_test_util.hpp"
#include "tapegrad.hpp"

using namespace tg;

namespace {

// Runs `y = f(inputs)`, then backward with a gradient of ones, and checks y's shape and that
// every input's gradient has the input's shape.
void check_backward_shapes(const Tensor& y, const Shape& y_shape, const std::vector<Tensor>& inputs) {
  REQUIRE(y.shape() == y_shape);
  y.backward(ones_like(y));
  for (const Tensor& t : inputs) {
    INFO("input of shape ", t.shape());
    REQUIRE(t.grad().defined());
    CHECK(t.grad().shape() == t.shape());
  }
}

void check_all_equal(const Tensor& t, double value) {
  for (double v : t.to_vector()) CHECK(v == value);
}

// A convolution that runs after the empty ones on the same thread must still be right:
// compared with the textbook loop, in both dtypes and on a layer large enough to use the
// kernels' scratch memory (3x3 stride 1 is Winograd- or channel-blocked, 1x1 the GEMM).
void check_later_convolutions() {
  Generator gen(7);
  const std::vector<conv_test::ConvCase> cases = {
      {2, 16, 12, 12, 16, 3, 3, {.padding = 1}, true},
      {2, 8, 9, 9, 12, 1, 1, {.stride = 2}, true},
      {3, 4, 10, 10, 6, 3, 3, {}, false},
  };
  for (const DType dtype : {f32, f64}) {
    for (const conv_test::ConvCase& c : cases) {
      INFO(conv_test::describe(c), ", ", dtype);
      const Tensor x = conv_test::rand64({c.n, c.c_in, c.h, c.w}, gen);
      const Tensor w = conv_test::rand64({c.c_out, c.c_in / c.options.groups, c.kh, c.kw}, gen);
      const Tensor b = conv_test::rand64({c.c_out}, gen);
      const std::vector<double> bv = b.to_vector();
      const std::vector<double> expected =
          conv_test::naive_conv2d(x.to_vector(), w.to_vector(), c.bias ? &bv : nullptr, c);
      const std::vector<double> got =
          conv2d(x.clone_as(dtype), w.clone_as(dtype), c.bias ? b.clone_as(dtype) : Tensor(), c.options).to_vector();
      REQUIRE(got.size() == expected.size());
      const double tol = dtype == f32 ? 1e-4 : 1e-12;
      for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(std::abs(got[i] - expected[i]) <= tol);
    }
  }
}

}  // namespace

TEST_CASE("zero-size conv2d: batch 0, 3x3 kernel, float32, forward and backward") {
  const Tensor x = ones({0, 1, 4, 4}).set_requires_grad(true);
  const Tensor w = ones({2, 1, 3, 3}).set_requires_grad(true);
  const Tensor b = ones({2}).set_requires_grad(true);
  check_backward_shapes(conv2d(x, w, b), {0, 2, 2, 2}, {x, w, b});
  check_all_equal(w.grad(), 0.0);  // an empty batch contributes nothing
  check_all_equal(b.grad(), 0.0);
  check_later_convolutions();
}

TEST_CASE("zero-size conv2d: batch 0, float64, 3x3 kernel, weight gradient") {
  const Tensor x = ones({0, 2, 6, 6}, {.dtype = f64}).set_requires_grad(true);
  const Tensor w = ones({3, 2, 3, 3}, {.dtype = f64}).set_requires_grad(true);
  check_backward_shapes(conv2d(x, w, Tensor(), {.padding = 1}), {0, 3, 6, 6}, {x, w});
  check_all_equal(w.grad(), 0.0);
  check_later_convolutions();
}

TEST_CASE("zero-size conv2d: batch 0, 1x1 kernels, stride 1 and 2, both dtypes") {
  for (const DType dtype : {f32, f64}) {
    for (const std::int64_t stride : {1, 2}) {
      INFO(dtype, ", stride ", stride);
      const Tensor x = ones({0, 2, 5, 5}, {.dtype = dtype}).set_requires_grad(true);
      const Tensor w = ones({3, 2, 1, 1}, {.dtype = dtype}).set_requires_grad(true);
      const Tensor b = ones({3}, {.dtype = dtype}).set_requires_grad(true);
      const std::int64_t out = stride == 1 ? 5 : 3;
      check_backward_shapes(conv2d(x, w, b, {.stride = stride}), {0, 3, out, out}, {x, w, b});
      check_all_equal(w.grad(), 0.0);
      check_all_equal(b.grad(), 0.0);
    }
  }
  check_later_convolutions();
}

TEST_CASE("zero-size conv2d: a Winograd-shaped layer with batch 0") {
  for (const DType dtype : {f32, f64}) {
    INFO(dtype);
    const Tensor x = ones({0, 64, 14, 14}, {.dtype = dtype}).set_requires_grad(true);
    const Tensor w = ones({64, 64, 3, 3}, {.dtype = dtype}).set_requires_grad(true);
    check_backward_shapes(conv2d(x, w, Tensor(), {.padding = 1}), {0, 64, 14, 14}, {x, w});
    check_all_equal(w.grad(), 0.0);
  }
  check_later_convolutions();
}

TEST_CASE("zero-size conv2d: no input channels gives the bias; its gradient is dy summed") {
  for (const DType dtype : {f32, f64}) {
    INFO(dtype);
    const Tensor x = ones({2, 0, 5, 5}, {.dtype = dtype}).set_requires_grad(true);
    const Tensor w = ones({3, 0, 3, 3}, {.dtype = dtype}).set_requires_grad(true);
    const Tensor b = tensor({0.5, -1.0, 2.0}, {.dtype = dtype}).set_requires_grad(true);
    const Tensor y = conv2d(x, w, b, {.padding = 1});
    REQUIRE(y.shape() == Shape{2, 3, 5, 5});
    const std::vector<double> values = y.to_vector();
    for (std::size_t i = 0; i < values.size(); ++i) CHECK(values[i] == std::vector<double>{0.5, -1.0, 2.0}[i / 25 % 3]);
    check_backward_shapes(y, {2, 3, 5, 5}, {x, w, b});
    check_all_equal(b.grad(), 50.0);  // 2 images x 25 positions, each with gradient 1
  }
  check_later_convolutions();
}

TEST_CASE("zero-size conv2d: no output channels") {
  const Tensor x = ones({2, 3, 5, 5}).set_requires_grad(true);
  const Tensor w = ones({0, 3, 3, 3}).set_requires_grad(true);
  const Tensor b = ones({0}).set_requires_grad(true);
  check_backward_shapes(conv2d(x, w, b), {2, 0, 3, 3}, {x, w, b});
  check_all_equal(x.grad(), 0.0);  // nothing reads x
  check_later_convolutions();
}

TEST_CASE("zero-size conv2d gradient maps: batch 0 and empty output gradients") {
  for (const DType dtype : {f32, f64}) {
    INFO(dtype);
    const Tensor dy = ones({0, 3, 4, 4}, {.dtype = dtype});
    const Tensor w = ones({3, 2, 3, 3}, {.dtype = dtype});
    CHECK(conv2d_input_grad(dy, w, {6, 6}).shape() == Shape{0, 2, 6, 6});
    CHECK(conv2d_input_grad(ones({0, 3, 2, 2}, {.dtype = dtype}), w, {6, 6}, {.stride = 2}).shape() ==
          Shape{0, 2, 6, 6});
    const Tensor dw = conv2d_weight_grad(ones({0, 2, 6, 6}, {.dtype = dtype}), dy, {3, 3});
    REQUIRE(dw.shape() == Shape{3, 2, 3, 3});
    check_all_equal(dw, 0.0);
    const Tensor dw1 = conv2d_weight_grad(ones({0, 2, 5, 5}, {.dtype = dtype}), ones({0, 3, 3, 3}, {.dtype = dtype}),
                                          {1, 1}, {.stride = 2});
    REQUIRE(dw1.shape() == Shape{3, 2, 1, 1});
    check_all_equal(dw1, 0.0);
    // No output channels: dx exists but nothing flows into it.
    const Tensor dx = conv2d_input_grad(ones({2, 0, 4, 4}, {.dtype = dtype}), ones({0, 2, 3, 3}, {.dtype = dtype}),
                                        {6, 6});
    REQUIRE(dx.shape() == Shape{2, 2, 6, 6});
    check_all_equal(dx, 0.0);
  }
  check_later_convolutions();
}

TEST_CASE("zero-size conv_transpose2d: batch 0 and no input channels") {
  const Tensor x = ones({0, 2, 4, 4}).set_requires_grad(true);
  const Tensor w = ones({2, 3, 3, 3}).set_requires_grad(true);
  const Tensor b = ones({3}).set_requires_grad(true);
  check_backward_shapes(conv_transpose2d(x, w, b, {.stride = 2}), {0, 3, 9, 9}, {x, w, b});
  check_all_equal(w.grad(), 0.0);
  check_all_equal(b.grad(), 0.0);

  const Tensor x0 = ones({1, 0, 4, 4}, {.dtype = f64}).set_requires_grad(true);
  const Tensor w0 = ones({0, 3, 3, 3}, {.dtype = f64}).set_requires_grad(true);
  const Tensor b0 = tensor({1.0, 2.0, 3.0}, {.dtype = f64}).set_requires_grad(true);
  const Tensor y = conv_transpose2d(x0, w0, b0);
  REQUIRE(y.shape() == Shape{1, 3, 6, 6});
  const std::vector<double> values = y.to_vector();
  for (std::size_t i = 0; i < values.size(); ++i) CHECK(values[i] == static_cast<double>(i / 36 + 1));
  check_backward_shapes(y, {1, 3, 6, 6}, {x0, w0, b0});
  check_all_equal(b0.grad(), 36.0);
  check_later_convolutions();
}

TEST_CASE("zero-size reductions: sum is 0, mean is NaN, max over an empty dim throws") {
  const Tensor x = ones({0, 3}, {.dtype = f64}).set_requires_grad(true);
  const Tensor s = sum(x);
  REQUIRE(s.shape() == Shape{});
  CHECK(s.item<double>() == 0.0);
  check_backward_shapes(s, {}, {x});
  CHECK(std::isnan(mean(ones({0, 3}, {.dtype = f64})).item<double>()));
  const Tensor per_column = sum(ones({0, 3}, {.dtype = f64}), {0});
  REQUIRE(per_column.shape() == Shape{3});
  check_all_equal(per_column, 0.0);
  CHECK_THROWS_AS(max(ones({0, 3}), {0}), ValueError);
  CHECK(max(ones({0, 3}), {1}).shape() == Shape{0});
}

TEST_CASE("zero-size matmul: an empty inner dimension gives zeros, empty gradients") {
  const Tensor a = ones({2, 0}, {.dtype = f64}).set_requires_grad(true);
  const Tensor b = ones({0, 3}, {.dtype = f64}).set_requires_grad(true);
  const Tensor y = matmul(a, b);
  REQUIRE(y.shape() == Shape{2, 3});
  check_all_equal(y, 0.0);
  check_backward_shapes(y, {2, 3}, {a, b});
  const Tensor outer = matmul(ones({0, 4}).set_requires_grad(true), ones({4, 3}).set_requires_grad(true));
  CHECK(outer.shape() == Shape{0, 3});
}
