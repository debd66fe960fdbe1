// Elementwise ops, backward: gradients against hand-derived formulas (naive loops), finite
// differences, second derivatives, tie and kink conventions, and the registered samples.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>

#include "elementwise_reference.hpp"
#include "ops/sample_inputs.hpp"
#include "tapegrad.hpp"

using namespace tg;
using namespace tg::test;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// A float64 [3, 4] leaf viewed through a transpose (non-contiguous), values in [low, high).
Tensor transposed_leaf(Generator& gen, double low, double high) {
  Tensor base = uniform({4, 3}, low, high, gen, {.dtype = f64});
  return raw::as_strided(base, {3, 4}, {1, 3}, 0).set_requires_grad(true);
}

// x.grad of sum(f(x) * w) against w * df(x) from a naive loop; d2f, if given, checks the
// second derivative: d/dx sum(w * f'(x)) = w * f''(x).
void check_unary_grad(const char* name, const std::function<Tensor(const Tensor&)>& f,
                      const std::function<double(double)>& df, const std::function<double(double)>& d2f, double low,
                      double high) {
  Generator gen(5);
  const Tensor x = transposed_leaf(gen, low, high);
  const Tensor w = uniform({3, 4}, -1.0, 1.0, gen, {.dtype = f64});
  const auto g = grad({f(x)}, {x}, {w}, {.create_graph = static_cast<bool>(d2f)});
  const std::vector<double> xv = x.to_vector();
  const std::vector<double> wv = w.to_vector();
  std::vector<double> want;
  for (std::size_t i = 0; i < xv.size(); ++i) want.push_back(wv[i] * df(xv[i]));
  CHECK(g[0].shape() == Shape{3, 4});
  check_near(g[0].to_vector(), want, 1e-12, std::string(name) + " first derivative");
  if (!d2f) return;
  const auto g2 = grad({sum(g[0])}, {x});
  want.clear();
  for (std::size_t i = 0; i < xv.size(); ++i) want.push_back(wv[i] * d2f(xv[i]));
  check_near(g2[0].to_vector(), want, 1e-12, std::string(name) + " second derivative");
}

// Analytic gradients of sum(fn(inputs) * w) against central differences, for every input
// that requires grad.
void check_fd(const std::string& what, const Fn& fn, const std::vector<Tensor>& inputs, double tol = 1e-6) {
  Generator gen(17);
  const Tensor y = fn(inputs);
  const Tensor w = uniform(y.shape(), -1.0, 1.0, gen, {.dtype = f64});
  std::vector<Tensor> wrt;
  for (const Tensor& t : inputs) {
    if (t.requires_grad()) wrt.push_back(t);
  }
  const auto g = grad({y}, wrt, {w});
  std::size_t j = 0;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (!inputs[k].requires_grad()) continue;
    CHECK(g[j].shape() == inputs[k].shape());
    check_near(g[j++].to_vector(), numeric_grad(fn, inputs, k, w), tol, fmt::format("{}: input {}", what, k));
  }
}

}  // namespace

TEST_CASE("unary gradients and second derivatives match hand-derived formulas") {
  auto sig = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  check_unary_grad(
      "exp", [](const Tensor& x) { return tg::exp(x); }, [](double x) { return std::exp(x); },
      [](double x) { return std::exp(x); }, -2, 2);
  check_unary_grad(
      "log", [](const Tensor& x) { return tg::log(x); }, [](double x) { return 1 / x; },
      [](double x) { return -1 / (x * x); }, 0.5, 2);
  check_unary_grad(
      "sqrt", [](const Tensor& x) { return tg::sqrt(x); }, [](double x) { return 0.5 / std::sqrt(x); },
      [](double x) { return -0.25 / (x * std::sqrt(x)); }, 0.5, 2);
  check_unary_grad(
      "sigmoid", [](const Tensor& x) { return tg::sigmoid(x); }, [&](double x) { return sig(x) * (1 - sig(x)); },
      [&](double x) { return sig(x) * (1 - sig(x)) * (1 - 2 * sig(x)); }, -3, 3);
  check_unary_grad(
      "tanh", [](const Tensor& x) { return tg::tanh(x); }, [](double x) { return 1 - std::tanh(x) * std::tanh(x); },
      [](double x) { return -2 * std::tanh(x) * (1 - std::tanh(x) * std::tanh(x)); }, -2, 2);
  check_unary_grad(
      "neg", [](const Tensor& x) { return tg::neg(x); }, [](double) { return -1.0; }, {}, -1, 1);
  check_unary_grad(
      "abs", [](const Tensor& x) { return tg::abs(x); }, [](double x) { return x > 0 ? 1.0 : -1.0; }, {}, -1, 1);
  check_unary_grad(
      "relu", [](const Tensor& x) { return tg::relu(x); }, [](double x) { return x > 0 ? 1.0 : 0.0; }, {}, -1, 1);
  check_unary_grad(
      "clamp", [](const Tensor& x) { return tg::clamp(x, -0.3, 0.4); },
      [](double x) { return x >= -0.3 && x <= 0.4 ? 1.0 : 0.0; }, {}, -1, 1);
  for (double p : {3.0, 0.5, -1.5}) {
    check_unary_grad(
        "pow scalar", [p](const Tensor& x) { return tg::pow(x, p); }, [p](double x) { return p * std::pow(x, p - 1); },
        [p](double x) { return p * (p - 1) * std::pow(x, p - 2); }, 0.5, 2);
  }
  // p = 0: the gradient is exactly 0, even at x = 0 where p * x^(p-1) would be 0 * inf.
  const Tensor z = tensor({0.0, 2.0}, {.dtype = f64, .requires_grad = true});
  CHECK(grad({sum(tg::pow(z, 0.0))}, {z})[0].to_vector() == std::vector<double>{0.0, 0.0});
}

TEST_CASE("binary gradients with broadcasting match hand-derived formulas") {
  // a [2, 3], b [3]: b's gradient sums over the broadcast rows.
  const Tensor a = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, {.dtype = f64, .requires_grad = true});
  const Tensor b = tensor({0.5, 2.0, 4.0}, {.dtype = f64, .requires_grad = true});
  const Tensor w = tensor({{1.0, -1.0, 2.0}, {0.5, 3.0, -2.0}}, {.dtype = f64});
  auto g = grad({tg::sub(a, b)}, {a, b}, {w});
  CHECK(g[0].to_vector() == w.to_vector());
  CHECK(g[1].to_vector() == std::vector<double>{-1.5, -2.0, 0.0});
  g = grad({tg::div(a, b)}, {a, b}, {w});
  check_near(g[0].to_vector(), {2.0, -0.5, 0.5, 1.0, 1.5, -0.5}, 1e-15, "div da = w / b");
  // db = -sum_rows w * a / b^2
  const std::vector<double> want_db = {-(1.0 * 1 + 0.5 * 4) / 0.25, -(-1.0 * 2 + 3.0 * 5) / 4.0,
                                       -(2.0 * 3 - 2.0 * 6) / 16.0};
  check_near(g[1].to_vector(), want_db, 1e-15, "div db");
  g = grad({tg::pow(a, b)}, {a, b}, {w});
  std::vector<double> da, db(3, 0.0);
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      const double x = a.value({i, j}), p = b.value({j}), wij = w.value({i, j});
      da.push_back(wij * p * std::pow(x, p - 1));
      db[static_cast<std::size_t>(j)] += wij * std::pow(x, p) * std::log(x);
    }
  }
  check_near(g[0].to_vector(), da, 1e-14, "pow da = w b a^(b-1)");
  check_near(g[1].to_vector(), db, 1e-14, "pow db = sum w a^b log a");
}

TEST_CASE("maximum and minimum split the gradient evenly on ties") {
  const Tensor a = tensor({1.0, 2.0, 3.0, -1.0}, {.dtype = f64, .requires_grad = true});
  const Tensor b = tensor({2.0, 2.0, 1.0, -1.0}, {.dtype = f64, .requires_grad = true});
  const Tensor w = tensor({1.0, 2.0, 3.0, 4.0}, {.dtype = f64});
  auto g = grad({tg::maximum(a, b)}, {a, b}, {w});
  CHECK(g[0].to_vector() == std::vector<double>{0.0, 1.0, 3.0, 2.0});
  CHECK(g[1].to_vector() == std::vector<double>{1.0, 1.0, 0.0, 2.0});
  g = grad({tg::minimum(a, b)}, {a, b}, {w});
  CHECK(g[0].to_vector() == std::vector<double>{1.0, 1.0, 0.0, 2.0});
  CHECK(g[1].to_vector() == std::vector<double>{0.0, 1.0, 3.0, 2.0});
  // Broadcast: a 0-d b against [4] collects the gradient of every position it wins.
  const Tensor s = scalar_tensor(1.5, {.dtype = f64}).set_requires_grad(true);
  g = grad({tg::maximum(a, s)}, {a, s}, {w});
  CHECK(g[0].to_vector() == std::vector<double>{0.0, 2.0, 3.0, 0.0});
  CHECK(g[1].item() == 1.0 + 4.0);
}

TEST_CASE("kink conventions: abs and relu have gradient 0 at 0, clamp passes the bounds") {
  const Tensor x = tensor({0.0, -0.5, 0.5, 1.0, 2.0}, {.dtype = f64, .requires_grad = true});
  CHECK(grad({sum(tg::abs(x))}, {x})[0].to_vector() == std::vector<double>{0.0, -1.0, 1.0, 1.0, 1.0});
  CHECK(grad({sum(tg::relu(x))}, {x})[0].to_vector() == std::vector<double>{0.0, 0.0, 1.0, 1.0, 1.0});
  CHECK(grad({sum(tg::clamp(x, -0.5, 1.0))}, {x})[0].to_vector() == std::vector<double>{1.0, 1.0, 1.0, 1.0, 0.0});
  CHECK(grad({sum(tg::clamp(x, 0.5, std::nullopt))}, {x})[0].to_vector() ==
        std::vector<double>{0.0, 0.0, 1.0, 1.0, 1.0});
  CHECK(grad({sum(tg::clamp(x, 2.0, 1.0))}, {x})[0].to_vector() == std::vector<double>{0.0, 0.0, 0.0, 0.0, 0.0});
}

TEST_CASE("relu_backward selects the gradient where the output is positive, in one registered map") {
  const Tensor y = tg::relu(tensor({-1.0, 0.0, 0.25, 3.0, -0.0, 7.0}, {.dtype = f64}));
  const Tensor g = tensor({10.0, 20.0, 30.0, 40.0, 50.0, 60.0}, {.dtype = f64, .requires_grad = true});
  CHECK(tg::relu_backward(g, y).to_vector() == std::vector<double>{0.0, 0.0, 30.0, 40.0, 0.0, 60.0});
  // relu's second derivative through it: d/dg of sum(w * relu_backward(g, y)) is w masked.
  const Tensor w = tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {.dtype = f64});
  CHECK(grad({sum(w * tg::relu_backward(g, y))}, {g})[0].to_vector() ==
        std::vector<double>{0.0, 0.0, 3.0, 4.0, 0.0, 6.0});
  // float32, a non-contiguous gradient.
  const Tensor g32 = tensor({{1.0, 2.0}, {3.0, 4.0}}).transpose(0, 1);
  const Tensor y32 = tensor({{1.0, -1.0}, {0.0, 2.0}});
  CHECK(tg::relu_backward(g32, y32).to_vector() == std::vector<double>{1.0, 0.0, 0.0, 4.0});
  CHECK_THROWS_AS(tg::relu_backward(g32, tensor({1.0, 2.0})), ShapeError);
  CHECK_THROWS_AS(tg::relu_backward(g32, y32.clone_as(f64)), DTypeError);
}

TEST_CASE("where routes the gradient by the condition, cond gets none") {
  const Tensor cond = tensor({{1.0, 0.0, 1.0}, {0.0, 0.0, 1.0}}).clone_as(DType::Bool);
  const Tensor a = tensor({10.0, 20.0, 30.0}, {.dtype = f64, .requires_grad = true});  // broadcast over rows
  const Tensor b = scalar_tensor(-1.0, {.dtype = f64}).set_requires_grad(true);        // broadcast everywhere
  const Tensor w = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, {.dtype = f64});
  const Tensor y = tg::where(cond, a, b);
  CHECK(y.to_vector() == std::vector<double>{10.0, -1.0, 30.0, -1.0, -1.0, 30.0});
  auto g = grad({y}, {a, b}, {w});
  CHECK(g[0].to_vector() == std::vector<double>{1.0, 0.0, 9.0});
  CHECK(g[1].item() == 2.0 + 4.0 + 5.0);
  CHECK_FALSE(cond.requires_grad());
}

TEST_CASE("finite differences agree on broadcasting, non-contiguous and mixed-dtype inputs") {
  Generator gen(23);
  const Tensor a = transposed_leaf(gen, 0.5, 2.0);
  const Tensor row = uniform({4}, 0.5, 2.0, gen, {.dtype = f64}).set_requires_grad(true);
  const Tensor col = uniform({3, 1}, -1.0, 1.0, gen, {.dtype = f64}).set_requires_grad(true);
  check_fd("div", [](const std::vector<Tensor>& v) { return tg::div(v[0], v[1]); }, {a, row});
  check_fd("pow", [](const std::vector<Tensor>& v) { return tg::pow(v[0], v[1]); }, {a, col});
  check_fd("sub", [](const std::vector<Tensor>& v) { return tg::sub(v[0], v[1]); }, {col, row});
  // a on a 0.1 grid, b on the same grid shifted by 0.025: no ties.
  const Tensor grid_a = samples::distinct_arg({3, 4}, gen, 0.1);
  const Tensor grid_b = (samples::distinct_arg({4}, gen, 0.1).detach() + 0.025).set_requires_grad(true);
  check_fd("maximum", [](const std::vector<Tensor>& v) { return tg::maximum(v[0], v[1]); }, {grid_a, grid_b});
  const Tensor cond = gt(uniform({3, 4}, -1.0, 1.0, gen, {.dtype = f64}), scalar_tensor(0.0, {.dtype = f64}));
  check_fd("where", [](const std::vector<Tensor>& v) { return tg::where(v[0], v[1], v[2]); }, {cond, row, col});
  // A composite through several ops at once, with a second derivative by differences of
  // the first: d/da of sum(w * df/da).
  const Fn f = [](const std::vector<Tensor>& v) { return tg::sigmoid(tg::div(v[0], v[1])) * tg::tanh(v[1]); };
  check_fd("sigmoid(a / b) * tanh(b)", f, {a, row});
  const Tensor w = uniform({3, 4}, -1.0, 1.0, gen, {.dtype = f64});
  const Fn df = [&](const std::vector<Tensor>& v) { return grad({f(v)}, {v[0]}, {w}, {.create_graph = true})[0]; };
  check_fd("second derivative of sigmoid(a / b) * tanh(b)", df, {a, row}, 1e-5);
  // Mixed dtypes: a float32 input receives a float32 gradient.
  const Tensor x32 = tensor({1.0, 2.0}, {.dtype = f32, .requires_grad = true});
  const Tensor d64 = tensor({4.0, 8.0}, {.dtype = f64, .requires_grad = true});
  auto g = grad({sum(tg::div(x32, d64))}, {x32, d64});
  CHECK(g[0].dtype() == f32);
  CHECK(g[0].to_vector() == std::vector<double>{0.25, 0.125});
  CHECK(g[1].dtype() == f64);
  CHECK(g[1].to_vector() == std::vector<double>{-1.0 / 16, -2.0 / 64});
}

TEST_CASE("every elementwise op is registered with samples that run and differentiate") {
  const std::vector<std::string> differentiable = {"sub",     "div",  "pow",   "pow_scalar", "maximum", "minimum",
                                                   "neg",     "exp",  "log",   "sqrt",       "abs",     "relu",
                                                   "sigmoid", "tanh", "clamp", "where"};
  const std::vector<std::string> comparisons = {"eq", "ne", "lt", "le", "gt", "ge"};
  for (const auto& name : differentiable) {
    const Op& op = registry().get(name);
    REQUIRE(op.samples);
    REQUIRE(op.backward);
    const auto list = op.samples();
    CHECK_MESSAGE(!list.empty(), name);
    for (const OpSample<std::any>& s : list) {
      const Fn fn = [&](const std::vector<Tensor>& v) { return call(op, v, s.attrs); };
      check_fd(name + " sample " + s.label, fn, s.inputs);
    }
  }
  for (const auto& name : comparisons) {
    const Op& op = registry().get(name);
    CHECK_FALSE(static_cast<bool>(op.backward));
    const auto list = op.samples();
    REQUIRE(!list.empty());
    bool tie = false;
    for (const OpSample<std::any>& s : list) {
      const Tensor y = call(op, s.inputs, s.attrs);
      CHECK(y.dtype() == DType::Bool);
      CHECK_FALSE(y.requires_grad());
      tie = tie || sum(eq(s.inputs[0], s.inputs[1]).clone_as(f64)).item() > 0;
    }
    CHECK_MESSAGE(tie, name, " samples include equal pairs");
  }
}

TEST_CASE("ops that save their output still differentiate after the caller drops it") {
  // Only the reduced result is kept: exp's output lives on in its node alone.
  const Tensor x = tensor({0.5, 1.0}, {.dtype = f64, .requires_grad = true});
  Tensor s = sum(tg::sigmoid(tg::exp(x)));
  s.backward();
  std::vector<double> want;
  for (double v : x.to_vector()) {
    const double sg = 1 / (1 + std::exp(-std::exp(v)));
    want.push_back(sg * (1 - sg) * std::exp(v));
  }
  check_near(x.grad().to_vector(), want, 1e-14, "first derivative");
  // Second derivative through a dropped output: d/dx sum(d/dx sum(exp(x))) = exp(x).
  const auto g = grad({sum(tg::exp(x))}, {x}, {}, {.create_graph = true});
  const auto g2 = grad({sum(g[0])}, {x});
  check_near(g2[0].to_vector(), {std::exp(0.5), std::exp(1.0)}, 1e-14, "second derivative");
}
