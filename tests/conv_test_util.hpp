// Helpers shared by the convolution tests: naive oracles written independently of the
// library kernels (plain loops over std::vector), and small tensor utilities.
#pragma once

#include <cmath>
#include <string>
#include <cstdint>
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

inline std::string describe(const ConvCase& c) {
  const auto& o = c.options;
  return fmt::format("x [{}, {}, {}, {}], w [{}, {}, {}, {}], stride ({}, {}), padding ({}, {}), dilation ({}, {}), "
                     "groups {}, bias {}",
                     c.n, c.c_in, c.h, c.w, c.c_out, c.c_in / o.groups, c.kh, c.kw, o.stride.h, o.stride.w, o.padding.h,
                     o.padding.w, o.dilation.h, o.dilation.w, o.groups, c.bias);
}

inline std::string describe(const tg::Pool2dOptions& o) {
  return fmt::format("kernel ({}, {}), stride ({}, {}), padding ({}, {}), dilation ({}, {}), ceil_mode {}, "
                     "count_include_pad {}",
                     o.kernel_size.h, o.kernel_size.w, o.stride.h, o.stride.w, o.padding.h, o.padding.w, o.dilation.h,
                     o.dilation.w, o.ceil_mode, o.count_include_pad);
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

// Runs tg::gradcheck and tg::gradgradcheck on fn at inputs; INFO carries the report.
inline bool grad_and_gradgrad_pass(const tg::TensorFn& fn, const std::vector<Tensor>& inputs, bool second_order = true) {
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
