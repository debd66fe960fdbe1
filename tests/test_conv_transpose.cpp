// conv_transpose2d: the scatter definition, the adjoint of conv2d, gradients.
#include <doctest/doctest.h>

#include "conv_test_util.hpp"

using namespace tg;
using namespace conv_test;

namespace {

struct TransposeCase {
  Shape x, w;
  ConvTranspose2dOptions options;
  bool bias;
};

const std::vector<TransposeCase>& transpose_cases() {
  static const std::vector<TransposeCase> cases = {
      {{2, 3, 4, 4}, {3, 2, 3, 2}, {}, true},
      {{1, 2, 3, 4}, {2, 3, 3, 3}, {.stride = 2, .padding = 1, .output_padding = 1}, true},
      {{2, 4, 3, 3},
       {4, 1, 2, 3},
       {.stride = {2, 3}, .padding = {1, 0}, .output_padding = {0, 2}, .dilation = 2, .groups = 2},
       false},
  };
  return cases;
}

}  // namespace

TEST_CASE("conv_transpose2d matches the scatter definition and is the adjoint of conv2d") {
  Generator gen(51);
  for (const TransposeCase& c : transpose_cases()) {
    CAPTURE(c.x);
    CAPTURE(c.w);
    const Tensor x = rand64(c.x, gen, true);
    const Tensor w = rand64(c.w, gen, true);
    const Tensor b = c.bias ? rand64({c.w[1] * c.options.groups}, gen, true) : Tensor();
    const Tensor y = conv_transpose2d(x, w, b, c.options);
    CHECK(max_abs_diff(y, naive_conv_transpose2d(x, w, b, c.options)) < 1e-12);
    // <conv_transpose2d(x, w), z> = <x, conv2d(z, w)>.
    const Conv2dOptions conv{.stride = c.options.stride,
                             .padding = c.options.padding,
                             .dilation = c.options.dilation,
                             .groups = c.options.groups};
    const Tensor z = rand64(y.shape(), gen);
    const Tensor y_nobias = conv_transpose2d(x, w, Tensor(), c.options);
    CHECK(dot(y_nobias, z) == doctest::Approx(dot(x, conv2d(z, w, Tensor(), conv))).epsilon(1e-12));
    std::vector<Tensor> inputs{x, w};
    if (c.bias) inputs.push_back(b);
    const ConvTranspose2dOptions o = c.options;
    grad_and_gradgrad_pass(
        [o](const std::vector<Tensor>& in) {
          return conv_transpose2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), o);
        },
        inputs);
  }
}

TEST_CASE("conv_transpose2d output size and errors") {
  const Tensor x = zeros({1, 2, 3, 4}, {.dtype = f64});
  const Tensor w = zeros({2, 3, 3, 3}, {.dtype = f64});
  CHECK(conv_transpose2d(x, w, Tensor(), {.stride = 2, .padding = 1, .output_padding = 1}).shape() ==
        Shape{1, 3, 6, 8});
  CHECK_THROWS_AS((void)conv_transpose2d(x, w, Tensor(), {.stride = 2, .output_padding = 2}), ValueError);
  CHECK_THROWS_AS((void)conv_transpose2d(x, zeros({3, 3, 3, 3}, {.dtype = f64})), ShapeError);
  CHECK_THROWS_AS((void)conv_transpose2d(x, w, zeros({2}, {.dtype = f64})), ShapeError);
  CHECK_THROWS_AS((void)conv_transpose2d(x, w, Tensor(), {.padding = 3}), ShapeError);
  CHECK_THROWS_AS((void)conv_transpose2d(x, zeros({2, 3, 3, 3})), DTypeError);
}
