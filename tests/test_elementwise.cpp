// Elementwise ops, forward: values against naive loops on contiguous, transposed, sliced
// and broadcast operands in every dtype that applies; dtype promotion; error paths;
// thread-count independence.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "elementwise_reference.hpp"
#include "tapegrad.hpp"

using namespace tg;
using namespace tg::test;

namespace {

const std::vector<std::pair<Shape, Shape>> kBinaryShapes = {
    {{3, 4}, {3, 4}}, {{2, 3, 4}, {4}}, {{3, 1}, {1, 4}}, {{2, 3}, {}}, {{4}, {3, 4}}};
const std::vector<Shape> kUnaryShapes = {{}, {5}, {3, 4}, {2, 3, 4}};
const std::vector<Layout> kLayouts = {Layout::Contiguous, Layout::Transposed, Layout::Sliced};

// Runs op on every shape pair x layout pair and compares with the naive loop in type T.
// `result` is the expected dtype; values drawn from [low, high) (integers if `integers`).
template <class T, class Op, class F>
void check_binary(const char* name, Op op, F f, DType dtype, DType result, double low, double high,
                  bool integers = false) {
  Generator gen(7);
  for (const auto& [sa, sb] : kBinaryShapes) {
    for (Layout la : kLayouts) {
      for (Layout lb : kLayouts) {
        const Tensor a = make_operand(sa, la, dtype, gen, low, high, integers);
        const Tensor b = make_operand(sb, lb, dtype, gen, low, high, integers);
        const Shape out = broadcast_shapes(sa, sb, "test");
        check_values(op(a, b), result, naive_binary<T>(a, b, out, f),
                     fmt::format("{} {} {} {} with {} {}", name, dtype, sa, layout_name(la), sb, layout_name(lb)));
      }
    }
  }
}

template <class T, class Op, class F>
void check_unary(const char* name, Op op, F f, DType dtype, double low, double high) {
  Generator gen(11);
  for (const Shape& s : kUnaryShapes) {
    for (Layout l : kLayouts) {
      const Tensor x = make_operand(s, l, dtype, gen, low, high);
      check_values(op(x), dtype, naive_unary<T>(x, f), fmt::format("{} {} {} {}", name, dtype, s, layout_name(l)));
    }
  }
}

using Unary = Tensor (*)(const Tensor&);
using Binary = Tensor (*)(const Tensor&, const Tensor&);
// The tg ops by explicit type (the names alone are ambiguous with <cmath>/<cstdlib>).
const Binary t_sub = tg::sub, t_div = tg::div, t_pow = tg::pow, t_max = tg::maximum, t_min = tg::minimum;
const Unary t_neg = tg::neg, t_exp = tg::exp, t_log = tg::log, t_sqrt = tg::sqrt, t_abs = tg::abs, t_relu = tg::relu,
            t_sigmoid = tg::sigmoid, t_tanh = tg::tanh;

// Every numeric dtype: T is the element type of `dtype`.
template <class Fn>
void for_float_types(Fn fn) {
  fn(float{}, DType::Float32);
  fn(double{}, DType::Float64);
}

}  // namespace

TEST_CASE("sub, maximum, minimum match naive loops for float32, float64, int64") {
  auto sub_f = [](auto x, auto y) { return x - y; };
  auto max_f = [](auto x, auto y) { return x > y ? x : y; };
  auto min_f = [](auto x, auto y) { return x < y ? x : y; };
  for_float_types([&](auto tag, DType dt) {
    using T = decltype(tag);
    check_binary<T>("sub", t_sub, sub_f, dt, dt, -3.0, 3.0);
    check_binary<T>("maximum", t_max, max_f, dt, dt, -3.0, 3.0);
    check_binary<T>("minimum", t_min, min_f, dt, dt, -3.0, 3.0);
    check_binary<T>("maximum (ties)", t_max, max_f, dt, dt, -2.0, 3.0, /*integers=*/true);
  });
  check_binary<std::int64_t>("sub", t_sub, sub_f, i64, i64, -50, 50);
  check_binary<std::int64_t>("maximum", t_max, max_f, i64, i64, -5, 5);
  check_binary<std::int64_t>("minimum", t_min, min_f, i64, i64, -5, 5);
}

TEST_CASE("div is true division, int64 / int64 gives float32") {
  for_float_types([&](auto tag, DType dt) {
    using T = decltype(tag);
    check_binary<T>(
        "div", t_div, [](T x, T y) { return x / y; }, dt, dt, 0.5, 3.0);
  });
  // Integers in [-4, 5): includes 0 divisors (+-inf, NaN for 0/0) as float division gives.
  check_binary<float>(
      "div", t_div, [](float x, float y) { return x / y; }, i64, f32, -4, 5);
  CHECK(div(tensor({7.0}, {.dtype = i64}), tensor({2.0}, {.dtype = i64})).to_vector() == std::vector<double>{3.5});
  CHECK(div(tensor({-7.0}, {.dtype = i64}), tensor({2.0}, {.dtype = i64})).to_vector() == std::vector<double>{-3.5});
}

TEST_CASE("pow with tensor and scalar exponents") {
  for_float_types([&](auto tag, DType dt) {
    using T = decltype(tag);
    check_binary<T>(
        "pow", t_pow, [](T x, T y) { return std::pow(x, y); }, dt, dt, 0.1, 3.0);
    for (double p : {2.0, 3.0, 0.5, -1.5, 0.0}) {
      check_unary<T>(
          "pow_scalar", [p](const Tensor& x) { return pow(x, p); }, [p](T x) { return std::pow(x, static_cast<T>(p)); },
          dt, 0.1, 3.0);
    }
    // Negative bases with integral exponents are fine; with fractional ones NaN.
    check_unary<T>(
        "pow_scalar neg base", [](const Tensor& x) { return pow(x, 3.0); }, [](T x) { return std::pow(x, T(3)); }, dt,
        -2.0, 2.0);
    CHECK(std::isnan(pow(scalar_tensor(-2.0, {.dtype = dt}), 0.5).item()));
  });
  CHECK(pow(tensor({2.0, 3.0}, {.dtype = i64}), tensor({3.0, -1.0}, {.dtype = i64})).dtype() == f32);
  check_values(pow(tensor({2.0, 3.0}, {.dtype = i64}), tensor({3.0, -1.0}, {.dtype = i64})), f32, {8.0, 1.0 / 3.0},
               "int64 pow");
  check_values(pow(tensor({2.0, -3.0}, {.dtype = i64}), 2.0), f32, {4.0, 9.0}, "int64 pow scalar");
}

TEST_CASE("unary float ops match std:: on every layout") {
  for_float_types([&](auto tag, DType dt) {
    using T = decltype(tag);
    check_unary<T>(
        "neg", t_neg, [](T x) { return -x; }, dt, -3.0, 3.0);
    check_unary<T>(
        "exp", t_exp, [](T x) { return std::exp(x); }, dt, -5.0, 5.0);
    check_unary<T>(
        "log", t_log, [](T x) { return std::log(x); }, dt, 0.01, 10.0);
    check_unary<T>(
        "sqrt", t_sqrt, [](T x) { return std::sqrt(x); }, dt, 0.0, 10.0);
    check_unary<T>(
        "abs", t_abs, [](T x) { return std::abs(x); }, dt, -3.0, 3.0);
    check_unary<T>(
        "relu", t_relu, [](T x) { return x > 0 ? x : T(0); }, dt, -3.0, 3.0);
    check_unary<T>(
        "sigmoid", t_sigmoid, [](T x) { return T(1) / (T(1) + std::exp(-x)); }, dt, -8.0, 8.0);
    check_unary<T>(
        "tanh", t_tanh, [](T x) { return std::tanh(x); }, dt, -4.0, 4.0);
    check_unary<T>(
        "clamp", [](const Tensor& x) { return clamp(x, -0.5, 1.0); },
        [](T x) { return std::min(std::max(x, T(-0.5)), T(1.0)); }, dt, -2.0, 2.0);
    check_unary<T>(
        "clamp min", [](const Tensor& x) { return clamp(x, 0.25, std::nullopt); },
        [](T x) { return std::max(x, T(0.25)); }, dt, -2.0, 2.0);
    check_unary<T>(
        "clamp max", [](const Tensor& x) { return clamp(x, std::nullopt, -0.25); },
        [](T x) { return std::min(x, T(-0.25)); }, dt, -2.0, 2.0);
  });
  check_unary<std::int64_t>(
      "neg", t_neg, [](std::int64_t x) { return -x; }, i64, -100, 100);
  check_unary<std::int64_t>(
      "abs", t_abs, [](std::int64_t x) { return x < 0 ? -x : x; }, i64, -100, 100);
  check_unary<std::int64_t>(
      "relu", t_relu, [](std::int64_t x) { return x > 0 ? x : 0; }, i64, -100, 100);
  check_unary<std::int64_t>(
      "clamp", [](const Tensor& x) { return clamp(x, -3.0, 4.0); },
      [](std::int64_t x) { return std::min<std::int64_t>(std::max<std::int64_t>(x, -3), 4); }, i64, -10, 10);
}

TEST_CASE("edge values: extremes, NaN, infinities, int64 wrap-around") {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(sigmoid(tensor({-800.0, 800.0}, {.dtype = f64})).to_vector() == std::vector<double>{0.0, 1.0});
  CHECK(sigmoid(tensor({-100.0}, {.dtype = f32})).item() > 0.0);  // no 0/0 from exp overflow
  check_values(exp(tensor({-inf, inf, nan}, {.dtype = f64})), f64, {0.0, inf, nan}, "exp specials");
  check_values(log(tensor({0.0, -1.0}, {.dtype = f64})), f64, {-inf, nan}, "log specials");
  check_values(maximum(tensor({nan, 1.0}, {.dtype = f64}), tensor({1.0, nan}, {.dtype = f64})), f64, {nan, nan},
               "maximum NaN");
  check_values(minimum(tensor({nan, 1.0}, {.dtype = f64}), tensor({1.0, nan}, {.dtype = f64})), f64, {nan, nan},
               "minimum NaN");
  CHECK_FALSE(std::signbit(abs(tensor({-0.0}, {.dtype = f64})).item()));
  check_values(relu(tensor({nan, -inf}, {.dtype = f64})), f64, {nan, 0.0}, "relu specials");
  check_values(clamp(tensor({nan, inf}, {.dtype = f64}), -1.0, 1.0), f64, {nan, 1.0}, "clamp specials");
  // min > max: every element becomes max (as min(max(x, lo), hi) gives).
  check_values(clamp(tensor({-5.0, 0.0, 5.0}, {.dtype = f64}), 2.0, 1.0), f64, {1.0, 1.0, 1.0}, "clamp min > max");
  // Bounds outside the int64 / float32 range saturate instead of overflowing.
  check_values(clamp(tensor({-5.0, 5.0}, {.dtype = i64}), -1e300, 1e300), i64, {-5.0, 5.0}, "clamp huge bounds int64");
  check_values(clamp(tensor({-5.0, 5.0}, {.dtype = f32}), -1e300, 1e300), f32, {-5.0, 5.0},
               "clamp huge bounds float32");
  const double int64_min = -9.223372036854775808e18;
  check_values(clamp(tensor({-5.0, 5.0}, {.dtype = i64}), -1e300, -1e299), i64, {int64_min, int64_min},
               "clamp below int64 range");
  const std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  const Tensor extreme = from_vector(std::vector<std::int64_t>{lo, 1}, {2});
  CHECK(neg(extreme).to_vector_as<std::int64_t>() == std::vector<std::int64_t>{lo, -1});
  CHECK(abs(extreme).to_vector_as<std::int64_t>() == std::vector<std::int64_t>{lo, 1});
  CHECK(sub(extreme, from_vector(std::vector<std::int64_t>{1, 0}, {2})).to_vector_as<std::int64_t>() ==
        std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::max(), 1});
}

TEST_CASE("where selects with a broadcast bool condition") {
  Generator gen(3);
  const std::vector<std::array<Shape, 3>> shapes = {{Shape{3, 4}, Shape{3, 4}, Shape{3, 4}},
                                                    {Shape{3, 1}, Shape{1, 4}, Shape{4}},
                                                    {Shape{2, 3, 4}, Shape{3, 4}, Shape{}},
                                                    {Shape{}, Shape{2, 3}, Shape{2, 1}}};
  for (DType dt : {f32, f64, i64}) {
    for (const auto& [sc, sa, sb] : shapes) {
      for (Layout l : kLayouts) {
        const Tensor cond = make_operand(sc, l, i64, gen, 0, 2).clone_as(DType::Bool);
        const Tensor a = make_operand(sa, l, dt, gen, -9, 9);
        const Tensor b = make_operand(sb, Layout::Contiguous, dt, gen, -9, 9);
        const Shape out = broadcast_shapes(broadcast_shapes(sc, sa, "t"), sb, "t");
        std::vector<double> want;
        for (std::int64_t i = 0; i < numel(out); ++i) {
          const auto idx = unravel(i, out);
          want.push_back(at_broadcast(cond, idx) != 0 ? at_broadcast(a, idx) : at_broadcast(b, idx));
        }
        check_values(where(cond, a, b), dt, want, fmt::format("where {} {} {} {} {}", dt, sc, sa, sb, layout_name(l)));
      }
    }
  }
}

TEST_CASE("comparisons give bool results matching naive loops, ties included") {
  struct Cmp {
    const char* name;
    Tensor (*op)(const Tensor&, const Tensor&);
    std::function<bool(double, double)> f;
  };
  const std::vector<Cmp> cmps = {{"eq", eq, std::equal_to<>{}}, {"ne", ne, std::not_equal_to<>{}},
                                 {"lt", lt, std::less<>{}},     {"le", le, std::less_equal<>{}},
                                 {"gt", gt, std::greater<>{}},  {"ge", ge, std::greater_equal<>{}}};
  for (const Cmp& c : cmps) {
    for (DType dt : {f32, f64, i64}) {
      // Small integers make ties frequent; values are exact in every dtype.
      check_binary<double>(c.name, c.op, c.f, dt, DType::Bool, -2, 3, /*integers=*/true);
    }
    const bool with_nan = c.op(tensor({1.0}, {.dtype = f64}), tensor({std::nan("")}, {.dtype = f64})).item<bool>();
    CHECK(with_nan == (std::string(c.name) == "ne"));  // every comparison with NaN is false, except ne
  }
  // Mixed dtypes compare after promotion: 2 (int64) == 2.0, 2 < 2.5.
  CHECK(eq(tensor({2.0}, {.dtype = i64}), tensor({2.0}, {.dtype = f64})).item<bool>());
  CHECK(lt(tensor({2.0}, {.dtype = i64}), tensor({2.5}, {.dtype = f32})).item<bool>());
  const Tensor bools = eq(tensor({1.0, 0.0}).clone_as(DType::Bool), tensor({1.0, 1.0}).clone_as(DType::Bool));
  CHECK(bools.to_vector() == std::vector<double>{1, 0});
  // Not differentiable: inputs requiring grad give a result that does not.
  const Tensor x = tensor({1.0, 2.0}, {.dtype = f64, .requires_grad = true});
  CHECK_FALSE(gt(x, x * 0.5).requires_grad());
}

TEST_CASE("dtype promotion of mixed operands") {
  const Tensor i = tensor({1.0, 2.0, 3.0}, {.dtype = i64});
  const Tensor f = tensor({0.5, 0.25, 2.0}, {.dtype = f32});
  const Tensor d = tensor({0.5, 0.25, 2.0}, {.dtype = f64});
  const Tensor b = tensor({1.0, 0.0, 1.0}).clone_as(DType::Bool);
  check_values(sub(i, f), f32, {0.5, 1.75, 1.0}, "int64 - float32");
  check_values(sub(f, d), f64, {0.0, 0.0, 0.0}, "float32 - float64");
  check_values(sub(i, b), i64, {0.0, 2.0, 2.0}, "int64 - bool");
  check_values(div(i, d), f64, {2.0, 8.0, 1.5}, "int64 / float64");
  check_values(div(b, i), f32, {1.0, 0.0, 1.0 / 3.0}, "bool / int64");
  check_values(maximum(i, f), f32, {1.0, 2.0, 3.0}, "maximum int64, float32");
  check_values(minimum(i, d), f64, {0.5, 0.25, 2.0}, "minimum int64, float64");
  check_values(pow(f, i), f32, {0.5, 0.0625, 8.0}, "pow float32 ^ int64");
  check_values(where(b, i, f), f32, {1.0, 0.25, 3.0}, "where int64, float32");
  check_values(where(b, i, i * 10.0), i64, {1.0, 20.0, 3.0}, "where int64, int64");
  check_values(i - 0.5, f32, {0.5, 1.5, 2.5}, "int64 - 0.5");
  check_values(10.0 / i, f32, {10.0, 5.0, 10.0 / 3.0}, "10 / int64");
  check_values(-i, i64, {-1.0, -2.0, -3.0}, "-int64");
  check_values(clamp(i, 1.5, std::nullopt), f32, {1.5, 2.0, 3.0}, "clamp int64 at 1.5");
  check_values(clamp(i, 2.0, std::nullopt), i64, {2.0, 2.0, 3.0}, "clamp int64 at 2");
}

TEST_CASE("errors: broadcast mismatch names the op and shapes, wrong dtypes, bad arguments") {
  const Tensor a = zeros({2, 3});
  const Tensor c = zeros({4, 5});
  const std::vector<std::pair<std::string, Binary>> binaries = {{"sub", t_sub},     {"div", t_div},     {"pow", t_pow},
                                                                {"maximum", t_max}, {"minimum", t_min}, {"eq", tg::eq},
                                                                {"ge", tg::ge}};
  for (const auto& [name, op] : binaries) {
    try {
      (void)op(a, c);
      FAIL("expected ShapeError from ", name);
    } catch (const ShapeError& e) {
      CHECK(std::string(e.what()) == name + ": shapes [2, 3] and [4, 5] cannot be broadcast together");
    }
  }
  const Tensor cond = zeros({2, 3}).clone_as(DType::Bool);
  try {
    (void)where(cond, a, zeros({3, 2}));
    FAIL("expected ShapeError from where");
  } catch (const ShapeError& e) {
    CHECK(std::string(e.what()) == "where: shapes [2, 3] and [3, 2] cannot be broadcast together");
  }
  CHECK_THROWS_AS((void)where(zeros({2, 3}), a, a), DTypeError);
  const Tensor ints = zeros({3}, {.dtype = i64});
  const Tensor bools = zeros({3}).clone_as(DType::Bool);
  for (Unary op : {t_exp, t_log, t_sqrt, t_sigmoid, t_tanh}) {
    CHECK_THROWS_AS((void)op(ints), DTypeError);
    CHECK_THROWS_AS((void)op(bools), DTypeError);
  }
  for (Unary op : {t_neg, t_abs, t_relu}) CHECK_THROWS_AS((void)op(bools), DTypeError);
  CHECK_THROWS_AS((void)sub(bools, bools), DTypeError);
  CHECK_THROWS_AS((void)maximum(bools, bools), DTypeError);
  CHECK_THROWS_AS((void)pow(bools, 2.0), DTypeError);
  CHECK_THROWS_AS((void)clamp(bools, 0.0, 1.0), DTypeError);
  try {
    (void)exp(ints);
  } catch (const DTypeError& e) {
    CHECK(std::string(e.what()) == "exp: expected a float32 or float64 tensor, got int64");
  }
  CHECK_THROWS_AS((void)clamp(a, std::nullopt, std::nullopt), ValueError);
  CHECK_THROWS_AS((void)clamp(a, std::nan(""), 1.0), ValueError);
}

TEST_CASE("large tensors give identical bits with 1 and 2 threads") {
  Generator gen(99);
  const Shape big{1025, 1031};  // > 1M elements, not a multiple of the chunk size
  const Tensor x = uniform(big, 0.1, 3.0, gen, {.dtype = f32});
  const Tensor y = uniform(big, -3.0, 3.0, gen, {.dtype = f32});
  const Tensor row = uniform({1031}, 0.5, 2.0, gen, {.dtype = f32});
  const Tensor xt = raw::as_strided(x, {1031, 1025}, {1, 1031}, 0);  // transposed view
  const Tensor cond = gt(y, scalar_tensor(0.0));
  const std::vector<std::function<Tensor()>> runs = {
      [&] { return exp(y); },
      [&] { return sigmoid(y); },
      [&] { return tanh(y); },
      [&] { return log(x); },
      [&] { return sqrt(xt); },
      [&] { return sub(x, y); },
      [&] { return div(y, row); },
      [&] { return pow(x, y); },
      [&] { return pow(x, 1.5); },
      [&] { return maximum(x, y); },
      [&] { return clamp(y, -1.0, 1.0); },
      [&] { return where(cond, x, y); },
      [&] { return lt(x, y); },
      [&] { return relu(y); },
  };
  for (std::size_t k = 0; k < runs.size(); ++k) {
    set_num_threads(1);
    const Tensor one = runs[k]();
    set_num_threads(2);
    const Tensor two = runs[k]();
    INFO("run ", k);
    REQUIRE(one.numel() > 1'000'000);
    REQUIRE(one.shape() == two.shape());
    CHECK(std::memcmp(one.raw_data(), two.raw_data(), static_cast<std::size_t>(one.numel()) * itemsize(one.dtype())) ==
          0);
  }
  set_num_threads(0);
  // And the parallel result is right, not merely reproducible.
  const std::vector<double> e = exp(y).to_vector();
  const std::vector<double> yv = y.to_vector();
  for (std::size_t i = 0; i < e.size(); i += 4099) {
    // float32 exp is accurate to 1 ulp (not correctly rounded): compare with the exact value.
    const double exact = std::exp(yv[i]);
    const auto f = static_cast<float>(exact);
    CHECK(std::abs(e[i] - exact) <= std::nextafter(f, HUGE_VALF) - f);
  }
}
