// Pooling: forward values against hand-computed numbers and naive windows, the arg-max
// gradient rule (ties -> first in row-major window order, padding is -inf), the two avg
// divisors, ceil_mode sizes, adaptive windows, and gradcheck / gradgradcheck.
#include <doctest/doctest.h>

#include <limits>

#include "conv_test_util.hpp"
#include "ops/pool/pool_common.hpp"

using namespace tg;
using namespace conv_test;

namespace {
Tensor plane(const std::vector<double>& v, std::int64_t h, std::int64_t w, bool requires_grad = false) {
  return from_vector(v, {1, 1, h, w}, {.dtype = f64, .requires_grad = requires_grad});
}
}  // namespace

TEST_CASE("max_pool2d: values, arg-max gradient and ties going to the first element in window order") {
  const Tensor x = plane({1, 5, 2, 0,  //
                          3, 4, 7, 7,  //
                          9, 9, 1, 2,  //
                          9, 8, 3, 2},
                         4, 4, true);
  const Tensor y = max_pool2d(x, {.kernel_size = 2});
  CHECK(y.to_vector() == std::vector<double>{5, 7, 9, 3});
  y.backward(plane({10, 20, 30, 40}, 2, 2));
  // Window (0,1) holds 7 twice: the first in row-major order (row 1, col 2) gets the gradient;
  // window (1,0) holds 9 three times: (2, 0) wins.
  CHECK(x.grad().to_vector() == std::vector<double>{0, 10, 0, 0, 0, 0, 20, 0, 30, 0, 0, 0, 0, 0, 40, 0});
}

TEST_CASE("max_pool2d: padding is -inf, overlapping windows accumulate, dilation skips") {
  const Tensor x = plane({-1, -2, -3, -4, -5, -6, -7, -8, -9}, 3, 3, true);
  // 2x2 windows, stride 1, padding 1: the corner window holds one real element; padding never wins.
  const Tensor y = max_pool2d(x, {.kernel_size = 2, .stride = 1, .padding = 1});
  CHECK(y.to_vector() == std::vector<double>{-1, -1, -2, -3, -1, -1, -2, -3, -4, -4, -5, -6, -7, -7, -8, -9});
  y.backward(ones_like(y));
  CHECK(x.grad().to_vector() == std::vector<double>{4, 2, 2, 2, 1, 1, 2, 1, 1});
  // Dilation 2: a 2x2 window reads x[0,0], x[0,2], x[2,0], x[2,2].
  const Tensor z = max_pool2d(plane({1, 9, 2, 9, 9, 9, 3, 9, 4}, 3, 3), {.kernel_size = 2, .stride = 1, .dilation = 2});
  CHECK(z.to_vector() == std::vector<double>{4});
}

TEST_CASE("avg_pool2d: count_include_pad, exclude pad, and ceil_mode") {
  const Tensor x = plane({1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3, true);
  const Pool2dOptions include{.kernel_size = 2, .stride = 2, .padding = 1};
  // Windows: {1}, {2,3}, {4,7}, {5,6,8,9}; the padded window has 4 slots.
  CHECK(avg_pool2d(x, include).to_vector() == std::vector<double>{1.0 / 4, 5.0 / 4, 11.0 / 4, 28.0 / 4});
  Pool2dOptions exclude = include;
  exclude.count_include_pad = false;
  CHECK(avg_pool2d(x, exclude).to_vector() == std::vector<double>{1, 2.5, 5.5, 7});
  // Gradient: each element gets g / divisor of its window.
  avg_pool2d(x, exclude).backward(plane({4, 4, 4, 4}, 2, 2));
  CHECK(x.grad().to_vector() == std::vector<double>{4, 2, 2, 2, 1, 1, 2, 1, 1});
  // ceil_mode: 3x3 input, 2x2 windows, stride 2 -> 2x2 outputs (the last one partial) instead of 1x1.
  CHECK(avg_pool2d(x, {.kernel_size = 2, .stride = 2}).shape() == Shape{1, 1, 1, 1});
  const Tensor c = avg_pool2d(x, {.kernel_size = 2, .stride = 2, .ceil_mode = true});
  CHECK(c.to_vector() == std::vector<double>{3, 4.5, 7.5, 9});
}

TEST_CASE("adaptive_avg_pool2d: windows (floor(i*H/Ho), ceil((i+1)*H/Ho))") {
  const Tensor x = plane({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, 5, 3, true);
  // Rows 5 -> 3: [0,2), [1,4), [3,5); columns 3 -> 2: [0,2), [1,3).
  const Tensor y = adaptive_avg_pool2d(x, {3, 2});
  CHECK(y.to_vector() == std::vector<double>{(1 + 2 + 4 + 5) / 4.0, (2 + 3 + 5 + 6) / 4.0,
                                             (4 + 5 + 7 + 8 + 10 + 11) / 6.0, (5 + 6 + 8 + 9 + 11 + 12) / 6.0,
                                             (10 + 11 + 13 + 14) / 4.0, (11 + 12 + 14 + 15) / 4.0});
  CHECK(adaptive_avg_pool2d(x, {1, 1}).item() == doctest::Approx(8.0));
}

TEST_CASE("pooling sweep: gradcheck and gradgradcheck") {
  Generator gen(41);
  const std::vector<Pool2dOptions> max_cases = {
      {.kernel_size = 2},
      {.kernel_size = 3, .stride = 2, .padding = 1},
      {.kernel_size = {3, 2}, .stride = {1, 2}, .dilation = 2},
      {.kernel_size = 3, .stride = 2, .ceil_mode = true},
  };
  for (const Pool2dOptions& o : max_cases) {
    CAPTURE(describe(o));
    const Tensor x = samples::distinct_arg({2, 2, 7, 6}, gen);
    grad_and_gradgrad_pass([o](const std::vector<Tensor>& in) { return max_pool2d(in[0], o); }, {x});
  }
  const std::vector<Pool2dOptions> avg_cases = {
      {.kernel_size = 2},
      {.kernel_size = 3, .stride = 2, .padding = 1},
      {.kernel_size = 3, .stride = 2, .padding = 1, .count_include_pad = false},
      {.kernel_size = {3, 2}, .stride = {2, 1}, .padding = {1, 0}, .ceil_mode = true, .count_include_pad = false},
  };
  for (const Pool2dOptions& o : avg_cases) {
    CAPTURE(describe(o));
    const Tensor x = rand64({2, 2, 7, 6}, gen, true);
    grad_and_gradgrad_pass([o](const std::vector<Tensor>& in) { return avg_pool2d(in[0], o); }, {x});
  }
  for (const Pair2 size : {Pair2{3, 2}, Pair2{1, 1}, Pair2{9, 7}}) {
    INFO("output size " << size.h << "x" << size.w);
    const Tensor x = rand64({1, 2, 7, 6}, gen, true);
    grad_and_gradgrad_pass([size](const std::vector<Tensor>& in) { return adaptive_avg_pool2d(in[0], size); }, {x});
  }
}

TEST_CASE("pooling errors are typed and name the shapes") {
  const Tensor x = zeros({1, 1, 4, 4}, {.dtype = f64});
  CHECK_THROWS_AS((void)max_pool2d(zeros({4, 4}, {.dtype = f64})), ShapeError);
  CHECK_THROWS_AS((void)max_pool2d(zeros({1, 1, 4, 4}, {.dtype = i64})), DTypeError);
  CHECK_THROWS_AS((void)max_pool2d(x, {.kernel_size = 0}), ValueError);
  CHECK_THROWS_AS((void)max_pool2d(x, {.kernel_size = 2, .stride = -1}), ValueError);
  CHECK_THROWS_AS((void)max_pool2d(x, {.kernel_size = 2, .padding = 2}), ValueError);  // more than half the kernel
  CHECK_THROWS_AS((void)max_pool2d(x, {.kernel_size = 2, .dilation = 0}), ValueError);
  CHECK_THROWS_AS((void)max_pool2d(x, {.kernel_size = 5}), ShapeError);
  CHECK_THROWS_AS((void)avg_pool2d(x, {.kernel_size = 2, .dilation = 2}), ValueError);
  CHECK_THROWS_AS((void)adaptive_avg_pool2d(x, {0, 2}), ValueError);
  // The index maps behind max_pool2d's backward check their indices.
  const Tensor bad = from_vector(std::vector<std::int64_t>{0, 16}, {1, 1, 1, 2});
  CHECK_THROWS_AS((void)detail::max_pool2d_scatter(zeros({1, 1, 1, 2}, {.dtype = f64}), bad, {4, 4}), IndexError);
  CHECK_THROWS_AS((void)detail::max_pool2d_select(x, bad), IndexError);
  try {
    (void)max_pool2d(x, {.kernel_size = {5, 2}});
    FAIL("expected ShapeError");
  } catch (const ShapeError& e) {
    CHECK(std::string(e.what()).find("[1, 1, 4, 4]") != std::string::npos);
    CHECK(std::string(e.what()).rfind("max_pool2d", 0) == 0);
  }
}
