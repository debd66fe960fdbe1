// conv2d argument checking: every inconsistent combination throws a typed error naming
// the op and the shapes.
#include <doctest/doctest.h>

#include <string>

#include "conv_test_util.hpp"
#include "test_util.hpp"

using namespace tg;
using test_util::error_of;

namespace {
Tensor z64(const Shape& s) { return zeros(s, {.dtype = f64}); }

}  // namespace

TEST_CASE("conv2d errors: ranks, dtypes, groups, bias, options and kernel size") {
  const Tensor x = z64({2, 4, 5, 5});
  const Tensor w = z64({6, 2, 3, 3});
  CHECK_NOTHROW((void)conv2d(x, w, z64({6}), {.groups = 2}));
  CHECK_THROWS_AS((void)conv2d(z64({4, 5, 5}), w), ShapeError);  // input rank
  CHECK_THROWS_AS((void)conv2d(x, z64({6, 2, 3})), ShapeError);  // weight rank
  CHECK_THROWS_AS((void)conv2d(zeros({2, 4, 5, 5}, {.dtype = i64}), w), DTypeError);
  CHECK_THROWS_AS((void)conv2d(x, zeros({6, 4, 3, 3})), DTypeError);         // float32 weight, float64 input
  CHECK_THROWS_AS((void)conv2d(x, w, Tensor(), {.groups = 3}), ShapeError);  // 4 channels, 3 groups
  CHECK_THROWS_AS((void)conv2d(x, z64({5, 2, 3, 3}), Tensor(), {.groups = 2}), ShapeError);  // 5 filters, 2 groups
  CHECK_THROWS_AS((void)conv2d(x, w), ShapeError);                              // weight wants 2 channels, input has 4
  CHECK_THROWS_AS((void)conv2d(x, w, z64({5}), {.groups = 2}), ShapeError);     // bias size
  CHECK_THROWS_AS((void)conv2d(x, w, z64({6, 1}), {.groups = 2}), ShapeError);  // bias rank
  CHECK_THROWS_AS((void)conv2d(x, w, Tensor(), {.stride = 0, .groups = 2}), ValueError);
  CHECK_THROWS_AS((void)conv2d(x, w, Tensor(), {.stride = {1, -2}, .groups = 2}), ValueError);
  CHECK_THROWS_AS((void)conv2d(x, w, Tensor(), {.dilation = 0, .groups = 2}), ValueError);
  CHECK_THROWS_AS((void)conv2d(x, w, Tensor(), {.padding = -1, .groups = 2}), ValueError);
  CHECK_THROWS_AS((void)conv2d(x, w, Tensor(), {.groups = 0}), ValueError);
  CHECK_THROWS_AS((void)conv2d(x, z64({6, 2, 6, 3}), Tensor(), {.groups = 2}), ShapeError);  // kernel taller than input
  CHECK_THROWS_AS((void)conv2d(x, w, Tensor(), {.dilation = 3, .groups = 2}), ShapeError);   // dilated 7x7 > 5x5
  CHECK_NOTHROW((void)conv2d(x, z64({6, 2, 6, 3}), Tensor(), {.padding = 1, .groups = 2}));  // fits once padded

  const std::string groups = error_of<ShapeError>([&] { (void)conv2d(x, w, Tensor(), {.groups = 3}); });
  CHECK(groups.rfind("conv2d:", 0) == 0);
  CHECK(groups.find("[2, 4, 5, 5]") != std::string::npos);
  const std::string channels = error_of<ShapeError>([&] { (void)conv2d(x, w); });
  CHECK(channels.find("[6, 2, 3, 3]") != std::string::npos);
  CHECK(channels.find("[2, 4, 5, 5]") != std::string::npos);
  const std::string kernel = error_of<ShapeError>([&] { (void)conv2d(x, w, Tensor(), {.dilation = 3, .groups = 2}); });
  CHECK(kernel.find("larger than the padded input") != std::string::npos);
}

TEST_CASE("conv2d gradient maps reject inconsistent shapes") {
  const Tensor w = z64({4, 2, 3, 3});
  CHECK_NOTHROW((void)conv2d_input_grad(z64({1, 4, 3, 3}), w, {5, 5}));
  CHECK_THROWS_AS((void)conv2d_input_grad(z64({1, 4, 4, 3}), w, {5, 5}), ShapeError);  // 5x5 gives 3x3, not 4x3
  CHECK_THROWS_AS((void)conv2d_input_grad(z64({1, 3, 3, 3}), w, {5, 5}), ShapeError);  // 3 gradient channels, 4 filters
  CHECK_THROWS_AS((void)conv2d_input_grad(z64({1, 4, 3, 3}), w, {0, 5}), ValueError);
  CHECK_NOTHROW((void)conv2d_weight_grad(z64({1, 2, 5, 5}), z64({1, 4, 3, 3}), {3, 3}));
  CHECK_THROWS_AS((void)conv2d_weight_grad(z64({1, 2, 5, 5}), z64({2, 4, 3, 3}), {3, 3}), ShapeError);  // batch differs
  CHECK_THROWS_AS((void)conv2d_weight_grad(z64({1, 3, 5, 5}), z64({1, 4, 3, 3}), {3, 3}, {.groups = 2}), ShapeError);
}

TEST_CASE("conv2d skips gradients that are not needed and works in float32") {
  Generator gen(61);
  const Tensor x = conv_test::rand64({1, 2, 5, 5}, gen, true);
  const Tensor w = conv_test::rand64({3, 2, 3, 3}, gen);  // constant weight
  const Tensor y = conv2d(x, w);
  y.backward(ones_like(y));
  CHECK(x.grad().defined());
  CHECK_FALSE(w.grad().defined());
  const Tensor y32 = conv2d(x.detach().clone_as(f32), w.clone_as(f32));
  CHECK(y32.dtype() == f32);
  CHECK(tg::max_abs_diff(y32.clone_as(f64), y.detach()) < 1e-5);
}
