// conv2d's hand-derived backward (the ROT180 rule) verified: against finite differences
// (gradcheck / gradgradcheck over a covering sweep), the im2col / transposed-GEMM form, the
// adjoint identity, and stride-as-dilation. See docs/convolution.md.
#include <doctest/doctest.h>

#include "conv_test_util.hpp"

using namespace tg;
using namespace conv_test;

namespace {

struct CaseTensors {
  Tensor x, w, b;
};

CaseTensors make_case(const ConvCase& c, Generator& gen, bool integers = false) {
  auto make = [&](const Shape& s) { return integers ? small_ints(s, gen, true) : rand64(s, gen, true); };
  CaseTensors t{make({c.n, c.c_in, c.h, c.w}), make({c.c_out, c.c_in / c.options.groups, c.kh, c.kw}), Tensor()};
  if (c.bias) t.b = make({c.c_out});
  return t;
}

// im2col for one image and one group: columns [Cg*kH*kW, Ho*Wo] (zero where the window
// reads padding), as Caffe lays them out; col2im is its transpose (scatter-add).
struct Im2col {
  const ConvCase& c;
  std::int64_t ho, wo, cin_g;
  std::int64_t rows() const { return cin_g * c.kh * c.kw; }
  // Calls f(row, col, input offset within the image) for every in-range entry.
  template <class F>
  void each(std::int64_t group, F&& f) const {
    const auto& o = c.options;
    for (std::int64_t ch = 0; ch < cin_g; ++ch)
      for (std::int64_t u = 0; u < c.kh; ++u)
        for (std::int64_t v = 0; v < c.kw; ++v)
          for (std::int64_t i = 0; i < ho; ++i)
            for (std::int64_t j = 0; j < wo; ++j) {
              const std::int64_t r = i * o.stride.h + u * o.dilation.h - o.padding.h;
              const std::int64_t q = j * o.stride.w + v * o.dilation.w - o.padding.w;
              if (r < 0 || r >= c.h || q < 0 || q >= c.w) continue;
              f((ch * c.kh + u) * c.kw + v, i * wo + j, ((group * cin_g + ch) * c.h + r) * c.w + q);
            }
  }
};

}  // namespace

TEST_CASE("conv2d sweep: forward matches the textbook formula, gradcheck and gradgradcheck pass") {
  Generator gen(1234);
  for (const ConvCase& c : conv_sweep()) {
    CAPTURE(describe(c));
    CaseTensors t = make_case(c, gen);
    const Tensor y = conv2d(t.x, t.w, t.b, c.options);
    const std::vector<double> bias = c.bias ? t.b.to_vector() : std::vector<double>{};
    const std::vector<double> expected = naive_conv2d(t.x.to_vector(), t.w.to_vector(), c.bias ? &bias : nullptr, c);
    const std::vector<double> got = y.to_vector();
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-12));

    const Conv2dOptions o = c.options;
    std::vector<Tensor> inputs{t.x, t.w};
    if (c.bias) inputs.push_back(t.b);
    const TensorFn fn = [o](const std::vector<Tensor>& in) {
      return conv2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), o);
    };
    grad_and_gradgrad_pass(fn, inputs);
  }
}

TEST_CASE("conv2d gradient maps: gradcheck and gradgradcheck of conv2d_input_grad and conv2d_weight_grad") {
  Generator gen(99);
  for (const ConvCase& c : {conv_sweep()[2], conv_sweep()[4], conv_sweep()[6]}) {
    CAPTURE(describe(c));
    const auto& o = c.options;
    const Shape dy_shape{c.n, c.c_out, out_size(c.h, c.kh, o.stride.h, o.padding.h, o.dilation.h),
                         out_size(c.w, c.kw, o.stride.w, o.padding.w, o.dilation.w)};
    const Tensor dy = rand64(dy_shape, gen, true);
    const Tensor w = rand64({c.c_out, c.c_in / o.groups, c.kh, c.kw}, gen, true);
    const Tensor x = rand64({c.n, c.c_in, c.h, c.w}, gen, true);
    const Pair2 in_size{c.h, c.w}, k_size{c.kh, c.kw};
    grad_and_gradgrad_pass([&](const std::vector<Tensor>& in) { return conv2d_input_grad(in[0], in[1], in_size, o); },
                           {dy, w});
    grad_and_gradgrad_pass([&](const std::vector<Tensor>& in) { return conv2d_weight_grad(in[0], in[1], k_size, o); },
                           {x, dy});
  }
}

TEST_CASE("conv2d adjoint identity: <conv2d(x, w), y> = <x, input_grad(y, w)> = <w, weight_grad(x, y)>") {
  Generator gen(7);
  for (const ConvCase& c : conv_sweep()) {
    CAPTURE(describe(c));
    CaseTensors t = make_case(c, gen);
    const Tensor fx = conv2d(t.x, t.w, Tensor(), c.options);
    const Tensor y = rand64(fx.shape(), gen);
    const double lhs = dot(fx, y);
    const Tensor dx = conv2d_input_grad(y, t.w, {c.h, c.w}, c.options);
    const Tensor dw = conv2d_weight_grad(t.x, y, {c.kh, c.kw}, c.options);
    CHECK(dot(t.x, dx) == doctest::Approx(lhs).epsilon(1e-12));
    CHECK(dot(t.w, dw) == doctest::Approx(lhs).epsilon(1e-12));
  }
}

TEST_CASE("conv2d input gradient equals the im2col / transposed-GEMM form dX = col2im(W^T . dY)") {
  Generator gen(11);
  for (const ConvCase& c : conv_sweep()) {
    CAPTURE(describe(c));
    const auto& o = c.options;
    CaseTensors t = make_case(c, gen);
    const Tensor y = conv2d(t.x, t.w, Tensor(), o);
    const Tensor dy = rand64(y.shape(), gen);
    const Im2col cols{c, y.size(2), y.size(3), c.c_in / o.groups};
    const std::int64_t cout_g = c.c_out / o.groups, plane = cols.ho * cols.wo, image = c.c_in * c.h * c.w;
    const std::vector<double> w = t.w.to_vector(), g = dy.to_vector(), xv = t.x.to_vector();
    std::vector<double> dx(static_cast<std::size_t>(c.n * image), 0.0), fwd(static_cast<std::size_t>(y.numel()), 0.0);
    for (std::int64_t n = 0; n < c.n; ++n) {
      for (std::int64_t grp = 0; grp < o.groups; ++grp) {
        // W_g is [C_out/groups, rows]; dcol = W_g^T . dY_g is [rows, Ho*Wo]; forward col = W_g . im2col(x).
        std::vector<double> dcol(static_cast<std::size_t>(cols.rows() * plane), 0.0);
        for (std::int64_t row = 0; row < cols.rows(); ++row)
          for (std::int64_t k = 0; k < cout_g; ++k)
            for (std::int64_t p = 0; p < plane; ++p)
              dcol[static_cast<std::size_t>(row * plane + p)] +=
                  w[static_cast<std::size_t>((grp * cout_g + k) * cols.rows() + row)] *
                  g[static_cast<std::size_t>((n * c.c_out + grp * cout_g + k) * plane + p)];
        cols.each(grp, [&](std::int64_t row, std::int64_t col, std::int64_t off) {
          dx[static_cast<std::size_t>(n * image + off)] += dcol[static_cast<std::size_t>(row * plane + col)];  // col2im
          for (std::int64_t k = 0; k < cout_g; ++k)
            fwd[static_cast<std::size_t>((n * c.c_out + grp * cout_g + k) * plane + col)] +=
                w[static_cast<std::size_t>((grp * cout_g + k) * cols.rows() + row)] *
                xv[static_cast<std::size_t>(n * image + off)];
        });
      }
    }
    const std::vector<double> rot180 = conv2d_input_grad(dy, t.w, {c.h, c.w}, o).to_vector();
    const std::vector<double> yv = y.to_vector();
    for (std::size_t i = 0; i < dx.size(); ++i) CHECK(rot180[i] == doctest::Approx(dx[i]).epsilon(1e-12));
    for (std::size_t i = 0; i < fwd.size(); ++i) CHECK(yv[i] == doctest::Approx(fwd[i]).epsilon(1e-12));
  }
}

TEST_CASE("conv2d stride s: the input gradient is the stride-1 rule applied to the dilated delta") {
  // Forward: x [1, 2, 9, 8], w [3, 2, 3, 2], stride (2, 3), padding 1 -> y [1, 3, 4, 3]; rows
  // and columns near the bottom/right edge are never reached.
  Generator gen(5);
  const Conv2dOptions strided{.stride = {2, 3}, .padding = 1};
  const Tensor x = rand64({1, 2, 9, 8}, gen);
  const Tensor w = rand64({3, 2, 3, 2}, gen);
  const Tensor y = conv2d(x, w, Tensor(), strided);
  REQUIRE(y.shape() == Shape{1, 3, 5, 3});
  const Tensor delta = rand64(y.shape(), gen);
  // Dilate the delta by hand: (s-1) zeros between elements, then zeros up to the stride-1
  // output size (9 + 2 - 3 + 1 = 9 rows, 8 + 2 - 2 + 1 = 9 columns).
  Tensor dilated = zeros({1, 3, 9, 9}, {.dtype = f64});
  for (std::int64_t k = 0; k < 3; ++k)
    for (std::int64_t i = 0; i < 5; ++i)
      for (std::int64_t j = 0; j < 3; ++j) dilated.set_value({0, k, 2 * i, 3 * j}, delta.value({0, k, i, j}));
  const Tensor via_stride = conv2d_input_grad(delta, w, {9, 8}, strided);
  const Tensor via_dilation = conv2d_input_grad(dilated, w, {9, 8}, {.padding = 1});
  CHECK(max_abs_diff(via_stride, via_dilation) == 0.0);
}

TEST_CASE("conv2d forward and both gradient maps give the same bits for 1 and 2 threads") {
  Generator gen(77);
  const ConvCase c{4, 6, 17, 15, 8, 3, 3, {.stride = 2, .padding = 1, .groups = 2}, true};
  CaseTensors t = make_case(c, gen);
  auto run = [&] {
    const Tensor y = conv2d(t.x, t.w, t.b, c.options);
    const Tensor dy = ones_like(y);
    return std::vector<Tensor>{y, conv2d_input_grad(dy, t.w, {c.h, c.w}, c.options),
                               conv2d_weight_grad(t.x, dy, {c.kh, c.kw}, c.options)};
  };
  set_num_threads(1);
  const auto one = run();
  set_num_threads(2);
  const auto two = run();
  set_num_threads(0);
  for (std::size_t i = 0; i < one.size(); ++i) CHECK(one[i].to_vector() == two[i].to_vector());
}
