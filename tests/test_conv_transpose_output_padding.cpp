// conv_transpose2d with output_padding >= stride, allowed (as in PyTorch) up to
// max(stride, dilation) - 1: values against the scatter definition, gradients, the limit.
#include <doctest/doctest.h>

#include <any>
#include <string>

#include "conv_test_util.hpp"

using namespace tg;
using namespace conv_test;

TEST_CASE("conv_transpose2d accepts output_padding up to max(stride, dilation) - 1") {
  struct Case {
    Shape x, w;
    ConvTranspose2dOptions options;
    bool bias;
  };
  const std::vector<Case> cases = {
      // The example: 4x4 input, 2x2 kernel, stride 1, dilation 2 -> 7x7 output.
      {{1, 1, 4, 4}, {1, 1, 2, 2}, {.output_padding = 1, .dilation = 2}, false},
      {{2, 4, 3, 3},
       {4, 1, 2, 2},
       {.stride = {1, 2}, .padding = {1, 0}, .output_padding = {2, 2}, .dilation = 3, .groups = 2},
       true},
      {{1, 2, 2, 3}, {2, 3, 3, 2}, {.stride = {2, 1}, .output_padding = {1, 1}, .dilation = {1, 2}}, true},
  };
  Generator gen(77);
  for (const Case& c : cases) {
    CAPTURE(c.x);
    CAPTURE(c.w);
    const Tensor x = rand64(c.x, gen, true);
    const Tensor w = rand64(c.w, gen, true);
    const Tensor b = c.bias ? rand64({c.w[1] * c.options.groups}, gen, true) : Tensor();
    const Tensor y = conv_transpose2d(x, w, b, c.options);
    const Tensor want = naive_conv_transpose2d(x, w, b, c.options);
    REQUIRE(y.shape() == want.shape());
    CHECK(max_abs_diff(y, want) < 1e-12);
    std::vector<Tensor> inputs{x, w};
    if (c.bias) inputs.push_back(b);
    const ConvTranspose2dOptions o = c.options;
    grad_and_gradgrad_pass(
        [o](const std::vector<Tensor>& in) {
          return conv_transpose2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), o);
        },
        inputs);
  }
  const Tensor y = conv_transpose2d(rand64({1, 1, 4, 4}, gen), rand64({1, 1, 2, 2}, gen), Tensor(),
                                    {.output_padding = 1, .dilation = 2});
  CHECK(y.shape() == Shape{1, 1, 7, 7});
}

TEST_CASE("conv_transpose2d rejects output_padding >= max(stride, dilation), naming the limit") {
  Generator gen(78);
  const Tensor x = rand64({1, 1, 4, 4}, gen);
  const Tensor w = rand64({1, 1, 2, 2}, gen);
  CHECK_THROWS_AS((void)conv_transpose2d(x, w, Tensor(), {.output_padding = 2, .dilation = 2}), ValueError);
  CHECK_THROWS_AS((void)conv_transpose2d(x, w, Tensor(), {.stride = 3, .output_padding = {0, 3}, .dilation = 2}),
                  ValueError);
  try {
    (void)conv_transpose2d(x, w, Tensor(), {.output_padding = 1});
    FAIL("stride 1, dilation 1, output_padding 1 was accepted");
  } catch (const ValueError& e) {
    CHECK(std::string(e.what()).find("max(stride, dilation)") != std::string::npos);
  }
}

TEST_CASE("conv_transpose2d's registry samples cover output_padding >= stride") {
  bool covered = false;
  for (const OpSample<std::any>& s : registry().get("conv_transpose2d").samples()) {
    const auto& o = std::any_cast<const ConvTranspose2dOptions&>(s.attrs);
    covered = covered || o.output_padding.h >= o.stride.h || o.output_padding.w >= o.stride.w;
  }
  CHECK(covered);
}
