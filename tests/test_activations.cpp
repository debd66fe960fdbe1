// Smooth elementwise functions and activations: values against std:: functions and
// hand-computed numbers, PyTorch's edge cases (thresholds, kinks, NaN domains), the float32
// GELU / SiLU kernels (same bits on every SIMD path, layout and thread count), the scalar
// overloads against the tensor forms, and the nn modules. Gradients against finite
// differences come from the registry sweeps (`tapegrad ops`).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <vector>

#include "ops/kernels/math/vec_activation.hpp"
#include "ops/kernels/simd/simd_path.hpp"
#include "tapegrad.hpp"
#include "test_util.hpp"

using namespace tg;
using test_util::same_bits;

namespace {

const std::vector<double> kPoints = {-6.0, -3.25, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 1.0, 2.75, 6.0};

// Each element of op(x) against f on x, for float64 (to 1e-15 relative) and float32 (to `tol32`).
void check_unary(const char* name, const std::function<Tensor(const Tensor&)>& op,
                 const std::function<double(double)>& f, const std::vector<double>& points = kPoints,
                 double tol32 = 2e-7) {
  const std::vector<double> y64 =
      op(from_vector(points, {static_cast<std::int64_t>(points.size())}, {.dtype = DType::Float64})).to_vector();
  const std::vector<double> y32 =
      op(from_vector(points, {static_cast<std::int64_t>(points.size())}, {.dtype = DType::Float32})).to_vector();
  for (std::size_t i = 0; i < points.size(); ++i) {
    const double want = f(points[i]);
    CHECK_MESSAGE(y64[i] == doctest::Approx(want).epsilon(1e-15), name, "(", points[i], ") float64");
    // float32 against f of the float32 input (log1p near -1 magnifies the input's rounding).
    const double want32 = f(static_cast<double>(static_cast<float>(points[i])));
    CHECK_MESSAGE(std::abs(y32[i] - want32) <= tol32 * (1.0 + std::abs(want32)), name, "(", points[i], ") float32 ",
                  y32[i], " vs ", want32);
  }
}

Tensor t64(std::initializer_list<double> values) { return tensor(values, {.dtype = DType::Float64}); }

double gelu_exact(double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }
double gelu_tanh(double x) { return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x))); }
double grad_at(const std::function<Tensor(const Tensor&)>& op, double x) {
  Tensor t = scalar_tensor(x, {.dtype = DType::Float64}).set_requires_grad(true);
  op(t).backward();
  return t.grad().item<double>();
}
}  // namespace

TEST_CASE("sin, cos, erf, log1p, expm1 and rsqrt follow the std:: functions") {
  check_unary(
      "sin", [](const Tensor& x) { return tg::sin(x); }, [](double v) { return std::sin(v); });
  check_unary(
      "cos", [](const Tensor& x) { return tg::cos(x); }, [](double v) { return std::cos(v); });
  check_unary(
      "erf", [](const Tensor& x) { return tg::erf(x); }, [](double v) { return std::erf(v); });
  check_unary(
      "expm1", [](const Tensor& x) { return tg::expm1(x); }, [](double v) { return std::expm1(v); });
  const std::vector<double> above_minus_one = {-0.999, -0.5, -1e-9, 0.0, 1e-9, 0.5, 3.0, 1e6};
  check_unary(
      "log1p", [](const Tensor& x) { return tg::log1p(x); }, [](double v) { return std::log1p(v); }, above_minus_one);
  check_unary(
      "rsqrt", [](const Tensor& x) { return tg::rsqrt(x); }, [](double v) { return 1.0 / std::sqrt(v); },
      {1e-4, 0.25, 1.0, 2.0, 1e6});
  // Near 0 the dedicated forms keep the digits 1 + x and e^x - 1 would lose.
  CHECK(tg::log1p(t64({1e-12})).item<double>() == doctest::Approx(1e-12).epsilon(1e-12));
  CHECK(tg::expm1(t64({1e-12})).item<double>() == doctest::Approx(1e-12).epsilon(1e-12));
  CHECK(tg::erf(t64({0.5})).item<double>() == doctest::Approx(0.5204998778130465).epsilon(1e-15));
  // PyTorch's domains: no error, NaN / inf results.
  const std::vector<double> l = tg::log1p(t64({-1.0, -2.0})).to_vector();
  CHECK((std::isinf(l[0]) && l[0] < 0));
  CHECK(std::isnan(l[1]));
  const std::vector<double> r = tg::rsqrt(t64({0.0, -1.0})).to_vector();
  CHECK((std::isinf(r[0]) && r[0] > 0));
  CHECK(std::isnan(r[1]));
  CHECK_THROWS_AS(tg::sin(t64({1.0}).clone_as(DType::Int64)), DTypeError);
}

TEST_CASE("gelu: exact and tanh forms, hand-computed values, tails and gradients") {
  check_unary(
      "gelu", [](const Tensor& x) { return gelu(x); }, gelu_exact, kPoints, 5e-7);
  check_unary(
      "gelu tanh", [](const Tensor& x) { return gelu(x, GeluApproximate::Tanh); }, gelu_tanh, kPoints, 5e-7);
  // Phi(1) = 0.8413447460685429, Phi(-1) = 0.15865525393145707.
  CHECK(gelu(t64({1.0})).item<double>() == doctest::Approx(0.8413447460685429).epsilon(1e-15));
  CHECK(gelu(t64({-1.0})).item<double>() == doctest::Approx(-0.15865525393145707).epsilon(1e-15));
  CHECK(gelu(t64({1.0}), GeluApproximate::Tanh).item<double>() == doctest::Approx(0.8411919906082768).epsilon(1e-15));
  // The negative tail keeps its relative accuracy in float32 (no 1 + erf cancellation).
  const float tail = gelu(t64({-8.0}).clone_as(DType::Float32)).item<float>();
  CHECK(tail == doctest::Approx(gelu_exact(-8.0)).epsilon(1e-5));
  const std::vector<double> inf = gelu(t64({HUGE_VAL, -HUGE_VAL}).clone_as(DType::Float32)).to_vector();
  CHECK(inf[0] == HUGE_VAL);
  CHECK(std::isnan(inf[1]));  // -inf * Phi(-inf) = -inf * 0, as PyTorch
  // d/dx x Phi(x) = Phi(x) + x phi(x): 1/2 at 0; Phi(1) + phi(1) at 1.
  CHECK(grad_at([](const Tensor& x) { return gelu(x); }, 0.0) == doctest::Approx(0.5));
  CHECK(grad_at([](const Tensor& x) { return gelu(x); }, 1.0) ==
        doctest::Approx(0.8413447460685429 + 0.24197072451914337).epsilon(1e-14));
  // Tanh form at 1: 1/2 (1 + t) + 1/2 (1 - t^2) k (1 + 3c), t = tanh(k (1 + c)).
  const double k = std::sqrt(2.0 / M_PI), c = 0.044715, t = std::tanh(k * (1.0 + c));
  CHECK(grad_at([](const Tensor& x) { return gelu(x, GeluApproximate::Tanh); }, 1.0) ==
        doctest::Approx(0.5 * (1.0 + t) + 0.5 * (1.0 - t * t) * k * (1.0 + 3.0 * c)).epsilon(1e-14));
}

TEST_CASE("silu, softplus, elu and leaky_relu: values, thresholds and kinks as PyTorch") {
  check_unary(
      "silu", [](const Tensor& x) { return silu(x); }, [](double v) { return v / (1.0 + std::exp(-v)); });
  CHECK(silu(t64({-1000.0})).item<double>() == 0.0);  // e^1000 overflows to inf: -1000 / inf
  CHECK(grad_at([](const Tensor& x) { return silu(x); }, 0.0) == doctest::Approx(0.5));

  check_unary(
      "softplus", [](const Tensor& x) { return softplus(x); }, [](double v) { return std::log1p(std::exp(v)); });
  check_unary(
      "softplus beta 2", [](const Tensor& x) { return softplus(x, 2.0, 5.0); },
      [](double v) { return 2.0 * v > 5.0 ? v : std::log1p(std::exp(2.0 * v)) / 2.0; });
  // Above the threshold: x itself, bit for bit, and gradient 1.
  CHECK(softplus(t64({30.5})).item<double>() == 30.5);
  CHECK(grad_at([](const Tensor& x) { return softplus(x); }, 30.5) == 1.0);
  CHECK(grad_at([](const Tensor& x) { return softplus(x, 2.0); }, 0.25) ==
        doctest::Approx(1.0 / (1.0 + std::exp(-0.5))));

  check_unary(
      "elu", [](const Tensor& x) { return elu(x); }, [](double v) { return v > 0 ? v : std::expm1(v); });
  check_unary(
      "elu alpha 0.5", [](const Tensor& x) { return elu(x, 0.5); },
      [](double v) { return v > 0 ? v : 0.5 * std::expm1(v); });
  CHECK(grad_at([](const Tensor& x) { return elu(x, 0.5); }, 0.0) == 0.5);  // alpha e^0 at the kink
  CHECK(grad_at([](const Tensor& x) { return elu(x, 0.5); }, -1.0) == doctest::Approx(0.5 * std::exp(-1.0)));

  check_unary(
      "leaky_relu", [](const Tensor& x) { return leaky_relu(x); }, [](double v) { return v > 0 ? v : 0.01 * v; });
  CHECK(grad_at([](const Tensor& x) { return leaky_relu(x, 0.2); }, 0.0) == 0.2);  // slope at 0
  CHECK(grad_at([](const Tensor& x) { return leaky_relu(x, 0.2); }, 0.5) == 1.0);
  CHECK(std::isnan(leaky_relu(t64({NAN})).item<double>()));
}

TEST_CASE("nn::functional::leaky_relu (now the op) matches its former composition bit for bit") {
  Generator gen(3);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    Tensor x = (randn({4, 5}, gen) * 2.0).clone_as(dtype).set_requires_grad(true);
    Tensor x_old = x.detach().clone().set_requires_grad(true);
    const Tensor y = nn::functional::leaky_relu(x, 0.1);
    const Tensor y_old = where(gt(x_old, scalar_like(x_old, 0.0)), x_old, mul(x_old, scalar_like(x_old, 0.1)));
    CHECK(y.to_vector() == y_old.to_vector());  // exact: every float32 / float64 value is a double
    const Tensor w = randn({4, 5}, gen).clone_as(dtype);
    sum(y * w).backward();
    sum(y_old * w).backward();
    CHECK(x.grad().to_vector() == x_old.grad().to_vector());
  }
}

TEST_CASE("float32 gelu and silu and their gradient maps: same bits on every SIMD path, layout and thread count") {
  Generator gen(11);
  // Above the elementwise grain (32,768), so the work is split into chunks.
  const Tensor x = (randn({3, 257, 67}, gen) * 4.0).clone_as(DType::Float32);
  const Tensor x_t = x.permute({2, 0, 1}).contiguous().permute({1, 2, 0});  // same values, strided
  REQUIRE_FALSE(x_t.is_contiguous());
  // The gradient maps too: their contiguous float32 path is a SIMD kernel, the strided one
  // the scalar derivative.
  const Tensor g = randn({3, 257, 67}, gen).clone_as(DType::Float32);
  const std::vector<std::function<Tensor(const Tensor&)>> ops = {
      [](const Tensor& t) { return gelu(t); },
      [](const Tensor& t) { return gelu(t, GeluApproximate::Tanh); },
      [](const Tensor& t) { return silu(t); },
      [&g](const Tensor& t) { return gelu_backward(g, t); },
      [&g](const Tensor& t) { return gelu_backward(g, t, GeluApproximate::Tanh); },
      [&g](const Tensor& t) { return silu_backward(g, t); }};
  const kernels::SimdPath saved_path = kernels::simd_path();
  const int saved_threads = get_num_threads();
  for (const auto& op : ops) {
    set_num_threads(1);
    kernels::set_simd_path(kernels::SimdPath::portable);
    const Tensor want = op(x);
    CHECK(same_bits(op(x_t), want));  // the strided path runs the scalar function
    for (const kernels::SimdPath path : {kernels::SimdPath::avx2, kernels::SimdPath::avx512}) {
      if (path > kernels::best_simd_path()) continue;
      kernels::set_simd_path(path);
      for (int threads : {1, 2}) {
        set_num_threads(threads);
        CHECK_MESSAGE(same_bits(op(x), want), "path ", std::string(to_string(path)), ", threads ", threads);
      }
    }
    kernels::set_simd_path(saved_path);
    set_num_threads(saved_threads);
  }
}

TEST_CASE("scalar overloads equal the tensor forms") {
  Generator gen(5);
  const Tensor x = randn({3, 4}, gen).clone_as(DType::Float32);
  const Tensor s = scalar_like(x, 0.25);
  auto same = [](const Tensor& a, const Tensor& b) {
    return a.dtype() == b.dtype() && a.shape() == b.shape() && a.to_vector() == b.to_vector();
  };
  CHECK(same(mul(x, 0.25), mul(x, s)));
  CHECK(same(mul(0.25, x), mul(s, x)));
  CHECK(same(add(x, 0.25), add(x, s)));
  CHECK(same(add(0.25, x), add(s, x)));
  CHECK(same(sub(x, 0.25), sub(x, s)));
  CHECK(same(sub(0.25, x), sub(s, x)));
  CHECK(same(div(x, 0.25), div(x, s)));
  CHECK(same(div(0.25, x), div(s, x)));
  CHECK(same(maximum(x, 0.25), maximum(x, s)));
  CHECK(same(minimum(x, 0.25), minimum(x, s)));
  CHECK(same(eq(x, 0.25), eq(x, s)));
  CHECK(same(ne(x, 0.25), ne(x, s)));
  CHECK(same(lt(x, 0.25), lt(x, s)));
  CHECK(same(le(x, 0.25), le(x, s)));
  CHECK(same(gt(x, 0.25), gt(x, s)));
  CHECK(same(ge(x, 0.25), ge(x, s)));
  CHECK(same(x < 0.25, lt(x, s)));
  CHECK(same(x <= 0.25, le(x, s)));
  CHECK(same(x > 0.25, gt(x, s)));
  CHECK(same(x >= 0.25, ge(x, s)));
  CHECK(same(0.25 < x, lt(s, x)));
  CHECK(same(0.25 <= x, le(s, x)));
  CHECK(same(0.25 > x, gt(s, x)));
  CHECK(same(0.25 >= x, ge(s, x)));
  const Tensor y = randn({3, 4}, gen).clone_as(DType::Float32);
  CHECK(same(x < y, lt(x, y)));
  CHECK(same(x <= y, le(x, y)));
  CHECK(same(x > y, gt(x, y)));
  CHECK(same(x >= y, ge(x, y)));
  const Tensor cond = x > 0.0;
  CHECK(same(where(cond, x, 0.25), where(cond, x, s)));
  CHECK(same(where(cond, 0.25, x), where(cond, s, x)));
  // Hand-checked values: [-1, 0, 2] against 0.
  const Tensor v = t64({-1.0, 0.0, 2.0});
  CHECK((v > 0.0).to_vector() == std::vector<double>{0, 0, 1});
  CHECK((v <= 0.0).to_vector() == std::vector<double>{1, 1, 0});
  CHECK(maximum(v, 0.5).to_vector() == std::vector<double>{0.5, 0.5, 2.0});
  CHECK(minimum(v, 0.5).to_vector() == std::vector<double>{-1.0, 0.0, 0.5});
  CHECK(where(v > 0.0, 7.0, v).to_vector() == std::vector<double>{-1.0, 0.0, 7.0});
  CHECK(mul(v, 0.5).to_vector() == std::vector<double>{-0.5, 0.0, 1.0});
  CHECK(div(1.0, t64({4.0})).item<double>() == 0.25);
  // Gradients flow through the scalar forms.
  Tensor w = t64({3.0}).set_requires_grad(true);
  sub(1.0, mul(w, 2.0)).backward();
  CHECK(w.grad().item<double>() == -2.0);
}

TEST_CASE("activation modules call their ops and describe themselves as PyTorch does") {
  Generator gen(9);
  const Tensor x = randn({2, 3}, gen);
  CHECK(nn::GELU().forward(x).to_vector() == gelu(x).to_vector());
  CHECK(nn::GELU(GeluApproximate::Tanh).forward(x).to_vector() == gelu(x, GeluApproximate::Tanh).to_vector());
  CHECK(nn::SiLU().forward(x).to_vector() == silu(x).to_vector());
  CHECK(nn::ELU(0.5).forward(x).to_vector() == elu(x, 0.5).to_vector());
  CHECK(nn::Softplus(2.0, 10.0).forward(x).to_vector() == softplus(x, 2.0, 10.0).to_vector());
  CHECK(nn::GELU().describe() == "GELU(approximate=none)");
  CHECK(nn::GELU(GeluApproximate::Tanh).describe() == "GELU(approximate=tanh)");
  CHECK(nn::SiLU().describe() == "SiLU");
  CHECK(nn::ELU(0.5).describe() == "ELU(alpha=0.5)");
  CHECK(nn::Softplus().describe() == "Softplus(beta=1, threshold=20)");
  CHECK(nn::GELU().parameters().empty());
}
