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
      {{2, 4, 3, 3}, {4, 1, 2, 3}, {.stride = {2, 3}, .padding = {1, 0}, .output_padding = {0, 2}, .dilation = 2, .groups = 2}, false},
  };
  return cases;
}

// y by the textbook scatter: every input element spreads x * w over a dilated k x k patch.
Tensor scatter_transpose(const Tensor& x, const Tensor& w, const Tensor& b, const ConvTranspose2dOptions& o) {
  const std::int64_t n = x.size(0), cin = x.size(1), h = x.size(2), wd = x.size(3);
  const std::int64_t cout_g = w.size(1), cin_g = cin / o.groups, kh = w.size(2), kw = w.size(3);
  const std::int64_t ho = (h - 1) * o.stride.h - 2 * o.padding.h + o.dilation.h * (kh - 1) + o.output_padding.h + 1;
  const std::int64_t wo = (wd - 1) * o.stride.w - 2 * o.padding.w + o.dilation.w * (kw - 1) + o.output_padding.w + 1;
  Tensor y = zeros({n, cout_g * o.groups, ho, wo}, {.dtype = f64});
  for (std::int64_t b0 = 0; b0 < n; ++b0)
    for (std::int64_t c = 0; c < cin; ++c)
      for (std::int64_t i = 0; i < h; ++i)
        for (std::int64_t j = 0; j < wd; ++j)
          for (std::int64_t k = 0; k < cout_g; ++k)
            for (std::int64_t u = 0; u < kh; ++u)
              for (std::int64_t v = 0; v < kw; ++v) {
                const std::int64_t r = i * o.stride.h - o.padding.h + u * o.dilation.h;
                const std::int64_t q = j * o.stride.w - o.padding.w + v * o.dilation.w;
                if (r < 0 || r >= ho || q < 0 || q >= wo) continue;
                const std::int64_t ko = (c / cin_g) * cout_g + k;
                y.set_value({b0, ko, r, q}, y.value({b0, ko, r, q}) + x.value({b0, c, i, j}) * w.value({c, k, u, v}));
              }
  if (b.defined())
    for (std::int64_t b0 = 0; b0 < n; ++b0)
      for (std::int64_t k = 0; k < y.size(1); ++k)
        for (std::int64_t r = 0; r < ho; ++r)
          for (std::int64_t q = 0; q < wo; ++q) y.set_value({b0, k, r, q}, y.value({b0, k, r, q}) + b.value({k}));
  return y;
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
    CHECK(max_abs_diff(y, scatter_transpose(x, w, b, c.options)) < 1e-12);
    // <conv_transpose2d(x, w), z> = <x, conv2d(z, w)>.
    const Conv2dOptions conv{.stride = c.options.stride, .padding = c.options.padding, .dilation = c.options.dilation,
                             .groups = c.options.groups};
    const Tensor z = rand64(y.shape(), gen);
    const Tensor y_nobias = conv_transpose2d(x, w, Tensor(), c.options);
    CHECK(dot(y_nobias, z) == doctest::Approx(dot(x, conv2d(z, w, Tensor(), conv))).epsilon(1e-12));
    std::vector<Tensor> inputs{x, w};
    if (c.bias) inputs.push_back(b);
    const ConvTranspose2dOptions o = c.options;
    grad_and_gradgrad_pass(
        [o](const std::vector<Tensor>& in) { return conv_transpose2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), o); },
        inputs);
  }
}

TEST_CASE("conv_transpose2d output size and errors") {
  const Tensor x = zeros({1, 2, 3, 4}, {.dtype = f64});
  const Tensor w = zeros({2, 3, 3, 3}, {.dtype = f64});
  CHECK(conv_transpose2d(x, w, Tensor(), {.stride = 2, .padding = 1, .output_padding = 1}).shape() == Shape{1, 3, 6, 8});
  CHECK_THROWS_AS((void)conv_transpose2d(x, w, Tensor(), {.stride = 2, .output_padding = 2}), ValueError);
  CHECK_THROWS_AS((void)conv_transpose2d(x, zeros({3, 3, 3, 3}, {.dtype = f64})), ShapeError);
  CHECK_THROWS_AS((void)conv_transpose2d(x, w, zeros({2}, {.dtype = f64})), ShapeError);
  CHECK_THROWS_AS((void)conv_transpose2d(x, w, Tensor(), {.padding = 3}), ShapeError);
  CHECK_THROWS_AS((void)conv_transpose2d(x, zeros({2, 3, 3, 3})), DTypeError);
}
