// The backpropagation-in-CNNs derivation, checked in numbers: the 3x3 / 2x2 worked example,
// valid vs full sizes, the shared bias, convolution vs cross-correlation, and bit-exact
// agreement with the elementary-op reference composition. See docs/convolution.md.
#include <doctest/doctest.h>

#include "conv_test_util.hpp"

using namespace tg;
using namespace conv_test;

namespace {

// full_conv(delta, rot180(w)) for one channel, written out: pad delta by k-1 zeros on every
// side and slide the rotated kernel over it (a "full" correlation), giving (m+k-1)^2 outputs.
std::vector<double> full_correlation_rot180(const std::vector<double>& delta, std::int64_t m,
                                            const std::vector<double>& w, std::int64_t k) {
  const std::int64_t size = m + k - 1;
  std::vector<double> out(static_cast<std::size_t>(size * size), 0.0);
  for (std::int64_t r = 0; r < size; ++r)
    for (std::int64_t q = 0; q < size; ++q)
      for (std::int64_t u = 0; u < k; ++u)
        for (std::int64_t v = 0; v < k; ++v) {
          const std::int64_t i = r + u - (k - 1), j = q + v - (k - 1);  // position in the unpadded delta
          if (i < 0 || i >= m || j < 0 || j >= m) continue;
          out[static_cast<std::size_t>(r * size + q)] +=
              delta[static_cast<std::size_t>(i * m + j)] * w[static_cast<std::size_t>((k - 1 - u) * k + (k - 1 - v))];
        }
  return out;
}

}  // namespace

TEST_CASE("worked example: 3x3 input, 2x2 kernel, each input gradient is a sum of delta*weight terms") {
  // z = x (*) w + b (cross-correlation), a 2x2 output; delta = dL/dz is given.
  const Tensor x =
      from_vector(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3}, {.dtype = f64, .requires_grad = true});
  const Tensor w = from_vector(std::vector<double>{1, -1, 2, 0.5}, {1, 1, 2, 2}, {.dtype = f64, .requires_grad = true});
  const Tensor b = from_vector(std::vector<double>{0.25}, {1}, {.dtype = f64, .requires_grad = true});
  const Tensor z = conv2d(x, w, b);
  // z_11 = x11 w11 + x12 w12 + x21 w21 + x22 w22 + b = 1 - 2 + 8 + 2.5 + 0.25
  CHECK(z.to_vector() == std::vector<double>{9.75, 12.25, 17.25, 19.75});
  const double d11 = 0.5, d12 = -1, d21 = 2, d22 = 3;  // the deltas
  const Tensor delta = from_vector(std::vector<double>{d11, d12, d21, d22}, {1, 1, 2, 2}, {.dtype = f64});
  z.backward(delta);
  const double w11 = 1, w12 = -1, w21 = 2, w22 = 0.5;
  // Each x_rs feeds the outputs whose window covers it; the chain rule sums delta * weight.
  const std::vector<double> by_hand = {
      d11 * w11,                                      // x11: only z11 sees it, through w11
      d11 * w12 + d12 * w11,                          // x12
      d12 * w12,                                      // x13
      d11 * w21 + d21 * w11,                          // x21
      d11 * w22 + d12 * w21 + d21 * w12 + d22 * w11,  // x22: all four outputs
      d12 * w22 + d22 * w12,                          // x23
      d21 * w21,                                      // x31
      d21 * w22 + d22 * w21,                          // x32
      d22 * w22,                                      // x33
  };
  CHECK(x.grad().to_vector() == by_hand);
  // ... which is the full convolution of delta with the kernel rotated by 180 degrees.
  CHECK(full_correlation_rot180({d11, d12, d21, d22}, 2, {w11, w12, w21, w22}, 2) == by_hand);
  // Weight gradient: dL/dw_uv = sum_ij delta_ij x_{i+u, j+v} (a valid correlation of x with delta).
  CHECK(w.grad().to_vector() ==
        std::vector<double>{d11 * 1 + d12 * 2 + d21 * 4 + d22 * 5, d11 * 2 + d12 * 3 + d21 * 5 + d22 * 6,
                            d11 * 4 + d12 * 5 + d21 * 7 + d22 * 8, d11 * 5 + d12 * 6 + d21 * 8 + d22 * 9});
  // One bias shared by all four positions: its gradient is the sum of the deltas.
  CHECK(b.grad().item() == d11 + d12 + d21 + d22);
}

TEST_CASE("valid vs full: a 5x5 delta and a 5x5 kernel give a 9x9 input gradient") {
  Generator gen(21);
  const Tensor x = rand64({1, 1, 9, 9}, gen, true);
  const Tensor w = rand64({1, 1, 5, 5}, gen);
  const Tensor z = conv2d(x, w);  // valid: 9 - 5 + 1 = 5
  REQUIRE(z.shape() == Shape{1, 1, 5, 5});
  const Tensor delta = rand64(z.shape(), gen);
  z.backward(delta);
  REQUIRE(x.grad().shape() == Shape{1, 1, 9, 9});  // full: 5 + 5 - 1 = 9
  const std::vector<double> expected = full_correlation_rot180(delta.to_vector(), 5, w.to_vector(), 5);
  const std::vector<double> got = x.grad().to_vector();
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-13));
}

TEST_CASE("convolution vs cross-correlation: the rotation moves to the forward pass") {
  // A true convolution is a cross-correlation with the rotated kernel: conv(x, w) = corr(x, rot180(w)).
  // Its input gradient is then a full cross-correlation of delta with w itself (no rotation).
  Generator gen(22);
  const Tensor x = rand64({1, 1, 6, 5}, gen, true);
  const Tensor w = rand64({1, 1, 3, 2}, gen);
  Tensor w_rot = zeros({1, 1, 3, 2}, {.dtype = f64});
  for (std::int64_t u = 0; u < 3; ++u)
    for (std::int64_t v = 0; v < 2; ++v) w_rot.set_value({0, 0, u, v}, w.value({0, 0, 2 - u, 1 - v}));
  const Tensor z = conv2d(x, w_rot);  // the convolution of x with w
  for (std::int64_t i = 0; i < z.size(2); ++i)
    for (std::int64_t j = 0; j < z.size(3); ++j) {
      double conv = 0.0;  // sum_{u,v} x[i + 2 - u, j + 1 - v] w[u, v]: the flipped-index definition
      for (std::int64_t u = 0; u < 3; ++u)
        for (std::int64_t v = 0; v < 2; ++v) conv += x.value({0, 0, i + 2 - u, j + 1 - v}) * w.value({0, 0, u, v});
      CHECK(z.value({0, 0, i, j}) == doctest::Approx(conv).epsilon(1e-13));
    }
  const Tensor delta = rand64(z.shape(), gen);
  z.backward(delta);
  for (std::int64_t r = 0; r < 6; ++r)
    for (std::int64_t q = 0; q < 5; ++q) {
      double corr = 0.0;  // full correlation: sum_{u,v} delta[r - 2 + u, q - 1 + v] w[u, v]
      for (std::int64_t u = 0; u < 3; ++u)
        for (std::int64_t v = 0; v < 2; ++v) {
          const std::int64_t i = r - 2 + u, j = q - 1 + v;
          if (i >= 0 && i < z.size(2) && j >= 0 && j < z.size(3))
            corr += delta.value({0, 0, i, j}) * w.value({0, 0, u, v});
        }
      CHECK(x.grad().value({0, 0, r, q}) == doctest::Approx(corr).epsilon(1e-13));
    }
}

TEST_CASE("many channels: the input gradient sums over output channels through the transposed kernel") {
  // dx[c] = sum_k full_corr(delta[k], rot180(w[k, c])): channel axes swapped, outputs summed.
  Generator gen(23);
  const Tensor x = rand64({1, 2, 4, 4}, gen, true);
  const Tensor w = rand64({3, 2, 2, 2}, gen);
  const Tensor z = conv2d(x, w);
  const Tensor delta = rand64(z.shape(), gen);
  z.backward(delta);
  for (std::int64_t c = 0; c < 2; ++c) {
    std::vector<double> expected(16, 0.0);
    for (std::int64_t k = 0; k < 3; ++k) {
      std::vector<double> dk(9), wkc(4);
      for (std::int64_t e = 0; e < 9; ++e) dk[static_cast<std::size_t>(e)] = delta.value({0, k, e / 3, e % 3});
      for (std::int64_t e = 0; e < 4; ++e) wkc[static_cast<std::size_t>(e)] = w.value({k, c, e / 2, e % 2});
      const std::vector<double> part = full_correlation_rot180(dk, 3, wkc, 2);
      for (std::size_t e = 0; e < 16; ++e) expected[e] += part[e];
    }
    for (std::int64_t e = 0; e < 16; ++e)
      CHECK(x.grad().value({0, c, e / 4, e % 4}) ==
            doctest::Approx(expected[static_cast<std::size_t>(e)]).epsilon(1e-13));
  }
}

TEST_CASE("exactness: with small integers the hand-derived gradients equal the reference composition bit for bit") {
  const Op& op = registry().get("conv2d");
  REQUIRE(static_cast<bool>(op.reference));
  Generator gen(31);
  const std::vector<ConvCase> cases = {
      {2, 3, 6, 5, 4, 3, 2, {}, true},
      {1, 2, 8, 7, 4, 3, 3, {.stride = 2, .padding = 1, .groups = 2}, true},
      {3, 3, 7, 6, 3, 2, 3, {.stride = {1, 2}, .padding = {2, 1}, .dilation = 2, .groups = 3}, true},
      {1, 1, 9, 8, 2, 5, 5, {.stride = 3, .padding = 2}, true},
  };
  for (const ConvCase& c : cases) {
    CAPTURE(describe(c));
    const Tensor x = small_ints({c.n, c.c_in, c.h, c.w}, gen, true);
    const Tensor w = small_ints({c.c_out, c.c_in / c.options.groups, c.kh, c.kw}, gen, true);
    const Tensor b = small_ints({c.c_out}, gen, true);
    const Tensor y = conv2d(x, w, b, c.options);
    const Tensor y_ref = op.reference(std::vector<Tensor>{x, w, b}, std::any(c.options));
    CHECK(max_abs_diff(y, y_ref) == 0.0);
    const Tensor delta = small_ints(y.shape(), gen);
    const auto hand = grad({y}, {x, w, b}, {delta});
    const auto ref = grad({y_ref}, {x, w, b}, {delta});
    for (std::size_t i = 0; i < 3; ++i) {
      CAPTURE(i);
      CHECK(max_abs_diff(hand[i], ref[i]) == 0.0);
    }
  }
}
