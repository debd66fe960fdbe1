// Helpers shared by the convolution tests: naive oracles written independently of the
// library kernels (plain loops over std::vector), and small tensor utilities.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ops/sample_inputs.hpp"
#include "tapegrad.hpp"

namespace conv_test {

using tg::Shape;
using tg::Tensor;

// A float64 tensor of the given shape with values uniform in [-1, 1), optionally requiring grad.
inline Tensor rand64(const Shape& shape, tg::Generator& gen, bool requires_grad = false) {
  return tg::uniform(shape, -1.0, 1.0, gen, {.dtype = tg::f64, .requires_grad = requires_grad});
}

// Small integers in [-3, 3] as float64: every sum and product below stays exact.
inline Tensor small_ints(const Shape& shape, tg::Generator& gen, bool requires_grad = false) {
  Tensor t = tg::randint(-3, 4, shape, gen).clone_as(tg::f64);
  if (requires_grad) t.set_requires_grad(true);
  return t;
}

inline double dot(const Tensor& a, const Tensor& b) {
  const std::vector<double> va = a.to_vector();
  const std::vector<double> vb = b.to_vector();
  REQUIRE(va.size() == vb.size());
  double s = 0.0;
  for (std::size_t i = 0; i < va.size(); ++i) s += va[i] * vb[i];
  return s;
}

// One convolution configuration of the sweeps.
struct ConvCase {
  std::int64_t n, c_in, h, w, c_out, kh, kw;
  tg::Conv2dOptions options;
  bool bias;
};

// A covering subset of the configuration space (not the Cartesian product): every stride
// 1-3, padding 0-2, dilation 1-2, groups 1 / 2 / depthwise, kernels 1x1 to 5x5 and
// non-square, inputs whose last rows the stride never reaches, batch 1 and 3, C_in 1 and > 1,
// with and without bias.
inline const std::vector<ConvCase>& conv_sweep() {
  static const std::vector<ConvCase> cases = {
      {1, 1, 5, 5, 1, 3, 3, {}, true},
      {3, 2, 6, 5, 3, 2, 3, {.stride = {2, 1}, .padding = {1, 0}}, false},
      {1, 2, 8, 7, 4, 3, 3, {.stride = 2, .padding = 1, .groups = 2}, true},    // last row not reached
      {1, 3, 6, 6, 3, 3, 3, {.padding = 2, .dilation = 2, .groups = 3}, true},  // depthwise
      {3, 1, 9, 8, 2, 5, 5, {.stride = 3, .padding = 2}, true},                 // last rows/cols not reached
      {1, 4, 5, 6, 2, 1, 1, {.stride = 2, .groups = 2}, false},                 // 1x1
      {1, 2, 7, 6, 2, 2, 4, {.stride = {1, 3}, .padding = {0, 2}, .dilation = {2, 1}}, true},
      {3, 2, 5, 4, 4, 4, 2, {.padding = {2, 1}}, false},
      {1, 3, 10, 9, 6, 3, 2, {.stride = 3, .padding = 1, .dilation = 2, .groups = 3}, true},  // depthwise x2
      {1, 1, 4, 4, 1, 4, 4, {}, true},  // kernel = input: 1x1 output
  };
  return cases;
}

inline std::string describe(const ConvCase& c) {
  const auto& o = c.options;
  return fmt::format(
      "x [{}, {}, {}, {}], w [{}, {}, {}, {}], stride ({}, {}), padding ({}, {}), dilation ({}, {}), "
      "groups {}, bias {}",
      c.n, c.c_in, c.h, c.w, c.c_out, c.c_in / o.groups, c.kh, c.kw, o.stride.h, o.stride.w, o.padding.h, o.padding.w,
      o.dilation.h, o.dilation.w, o.groups, c.bias);
}

inline std::string describe(const tg::Pool2dOptions& o) {
  return fmt::format(
      "kernel ({}, {}), stride ({}, {}), padding ({}, {}), dilation ({}, {}), ceil_mode {}, "
      "count_include_pad {}",
      o.kernel_size.h, o.kernel_size.w, o.stride.h, o.stride.w, o.padding.h, o.padding.w, o.dilation.h, o.dilation.w,
      o.ceil_mode, o.count_include_pad);
}

inline std::int64_t out_size(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p, std::int64_t d) {
  return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

// y = conv2d(x, w, b) by the textbook formula, element by element (no library kernel).
inline std::vector<double> naive_conv2d(const std::vector<double>& x, const std::vector<double>& w,
                                        const std::vector<double>* b, const ConvCase& c) {
  const auto& o = c.options;
  const std::int64_t ho = out_size(c.h, c.kh, o.stride.h, o.padding.h, o.dilation.h);
  const std::int64_t wo = out_size(c.w, c.kw, o.stride.w, o.padding.w, o.dilation.w);
  const std::int64_t cin_g = c.c_in / o.groups, cout_g = c.c_out / o.groups;
  std::vector<double> y(static_cast<std::size_t>(c.n * c.c_out * ho * wo), 0.0);
  for (std::int64_t n = 0; n < c.n; ++n)
    for (std::int64_t k = 0; k < c.c_out; ++k)
      for (std::int64_t i = 0; i < ho; ++i)
        for (std::int64_t j = 0; j < wo; ++j) {
          double acc = b ? (*b)[static_cast<std::size_t>(k)] : 0.0;
          for (std::int64_t c2 = 0; c2 < cin_g; ++c2)
            for (std::int64_t u = 0; u < c.kh; ++u)
              for (std::int64_t v = 0; v < c.kw; ++v) {
                const std::int64_t r = i * o.stride.h + u * o.dilation.h - o.padding.h;
                const std::int64_t q = j * o.stride.w + v * o.dilation.w - o.padding.w;
                if (r < 0 || r >= c.h || q < 0 || q >= c.w) continue;
                const std::int64_t ci = (k / cout_g) * cin_g + c2;
                acc += w[static_cast<std::size_t>(((k * cin_g + c2) * c.kh + u) * c.kw + v)] *
                       x[static_cast<std::size_t>(((n * c.c_in + ci) * c.h + r) * c.w + q)];
              }
          y[static_cast<std::size_t>(((n * c.c_out + k) * ho + i) * wo + j)] = acc;
        }
  return y;
}

}  // namespace conv_test

namespace conv_test {

// y by the textbook scatter: every input element spreads x * w over a dilated k x k patch.
inline Tensor naive_conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b,
                                     const tg::ConvTranspose2dOptions& o) {
  const std::int64_t n = x.size(0), cin = x.size(1), h = x.size(2), wd = x.size(3);
  const std::int64_t cout_g = w.size(1), cin_g = cin / o.groups, kh = w.size(2), kw = w.size(3);
  const std::int64_t ho = (h - 1) * o.stride.h - 2 * o.padding.h + o.dilation.h * (kh - 1) + o.output_padding.h + 1;
  const std::int64_t wo = (wd - 1) * o.stride.w - 2 * o.padding.w + o.dilation.w * (kw - 1) + o.output_padding.w + 1;
  Tensor y = tg::zeros({n, cout_g * o.groups, ho, wo}, {.dtype = tg::f64});
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

// Runs tg::gradcheck and tg::gradgradcheck on fn at inputs; INFO carries the report.
inline bool grad_and_gradgrad_pass(const tg::TensorFn& fn, const std::vector<Tensor>& inputs,
                                   bool second_order = true) {
  const tg::GradcheckReport first = tg::gradcheck(fn, inputs);
  INFO("gradcheck: " << first.message);
  CHECK(first.passed);
  if (!second_order) return first.passed;
  const tg::GradcheckReport second = tg::gradgradcheck(fn, inputs);
  INFO("gradgradcheck: " << second.message);
  CHECK(second.passed);
  return first.passed && second.passed;
}

}  // namespace conv_test
