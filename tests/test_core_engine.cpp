// Core engine checks: recording, replay order, accumulation, views, grad(), errors.
#include <doctest/doctest.h>

#include "tapegrad.hpp"

using namespace tg;

TEST_CASE("add and mul record and replay with broadcasting") {
  Tensor a = tensor({{1, 2, 3}, {4, 5, 6}}, {.dtype = f64, .requires_grad = true});
  Tensor b = tensor({10, 20, 30}, {.dtype = f64, .requires_grad = true});
  Tensor y = sum(a * b + a);  // dy/da = b + 1 (broadcast), dy/db = column sums of a
  CHECK(y.item() == doctest::Approx(1 * 10 + 2 * 20 + 3 * 30 + 4 * 10 + 5 * 20 + 6 * 30 + 21));
  y.backward();
  CHECK(a.grad().to_vector() == std::vector<double>{11, 21, 31, 11, 21, 31});
  CHECK(b.grad().to_vector() == std::vector<double>{5, 7, 9});
}

TEST_CASE("gradients accumulate across backward calls and in diamonds") {
  Tensor x = tensor({2.0}, {.dtype = f64, .requires_grad = true});
  Tensor h = x * x;           // used twice below: diamond
  Tensor y = sum(h * x + h);  // x^3 + x^2 -> 3x^2 + 2x = 16
  y.backward(Tensor(), {.retain_graph = true});
  CHECK(x.grad().item() == 16.0);
  y.backward();
  CHECK(x.grad().item() == 32.0);
  CHECK_THROWS_AS(y.backward(), AutogradError);  // graph freed
}

TEST_CASE("grad() returns gradients of intermediates without touching .grad()") {
  Tensor x = tensor({1.0, 2.0, 3.0}, {.dtype = f64, .requires_grad = true});
  Tensor h = x * x;
  Tensor y = sum(h * 3.0);
  auto g = grad({y}, {h, x});
  CHECK(g[0].to_vector() == std::vector<double>{3, 3, 3});
  CHECK(g[1].to_vector() == std::vector<double>{6, 12, 18});
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("create_graph gives second derivatives") {
  Tensor x = tensor({3.0}, {.dtype = f64, .requires_grad = true});
  Tensor y = sum(x * x * x);  // y' = 3x^2 = 27, y'' = 6x = 18
  auto dy = grad({y}, {x}, {}, {.create_graph = true});
  CHECK(dy[0].item() == 27.0);
  auto d2y = grad({sum(dy[0])}, {x});
  CHECK(d2y[0].item() == 18.0);
}

TEST_CASE("reshape views share storage and route gradients") {
  Tensor x = tensor({{1, 2}, {3, 4}}, {.dtype = f64, .requires_grad = true});
  Tensor v = reshape(x, {4});
  CHECK(v.raw_data() == x.raw_data());
  Tensor w = from_vector(std::vector<double>{1, 2, 3, 4}, {4}, {.dtype = f64});
  sum(v * w).backward();
  CHECK(x.grad().to_vector() == std::vector<double>{1, 2, 3, 4});
  CHECK(x.grad().shape() == Shape{2, 2});
}

TEST_CASE("errors are typed and name the op and shapes") {
  Tensor a = zeros({2, 3});
  Tensor b = zeros({4, 5});
  try {
    (void)add(a, b);
    FAIL("expected ShapeError");
  } catch (const ShapeError& e) {
    CHECK(std::string(e.what()) == "add: shapes [2, 3] and [4, 5] cannot be broadcast together");
  }
  CHECK_THROWS_AS(zeros({2, 2}).set_requires_grad(true).backward(), AutogradError);
  CHECK_THROWS_AS((void)zeros({2}, {.dtype = i64}).set_requires_grad(true), DTypeError);
}

TEST_CASE("NoGradGuard records nothing") {
  Tensor x = ones({3}, {.requires_grad = true});
  Tensor y;
  {
    NoGradGuard guard;
    y = x * x;
  }
  CHECK_FALSE(y.requires_grad());
}

TEST_CASE("in-place updates broadcast, and are refused on recorded tensors") {
  Tensor w = tensor({{1, 2}, {3, 4}}, {.dtype = f64, .requires_grad = true});
  CHECK_THROWS_AS(w.add_(ones({2, 2}, {.dtype = f64})), AutogradError);
  {
    NoGradGuard guard;
    w.add_(tensor({10, 20}, {.dtype = f64}), 0.5);  // rows += [5, 10]
    w.mul_(2.0);
  }
  CHECK(w.to_vector() == std::vector<double>{12, 24, 16, 28});
  Tensor i = zeros({3}, {.dtype = i64});
  i.fill_(7);
  CHECK(i.to_vector() == std::vector<double>{7, 7, 7});
}
