// Engine semantics: graph shapes, accumulation, views and broadcasting, retain_graph,
// NoGradGuard, detach, grad() of intermediates, higher-order gradients, memory use over
// many iterations, and independent training on several threads.
#include <doctest/doctest.h>

#include <cmath>
#include <thread>

#include "tapegrad.hpp"

using namespace tg;

namespace {

Tensor leaf(std::initializer_list<double> values) { return tensor(values, {.dtype = f64, .requires_grad = true}); }

using Values = std::vector<double>;

// Fits y = 1.5 x + 0.25 with w * x + b by plain gradient descent on the mean squared error.
struct LineFit {
  double w = 0.0;
  double b = 0.0;
  double first_loss = 0.0;
  double last_loss = 0.0;
};

LineFit fit_line(std::uint64_t seed, int steps) {
  Generator gen(seed);
  const Tensor x = randn({16}, gen, {.dtype = f64});
  const Tensor neg_target = x * -1.5 + -0.25;  // (sub is not needed: add the negation)
  Tensor w = zeros({1}, {.dtype = f64, .requires_grad = true});
  Tensor b = zeros({1}, {.dtype = f64, .requires_grad = true});
  LineFit fit;
  for (int step = 0; step < steps; ++step) {
    const Tensor r = w * x + b + neg_target;
    const Tensor loss = sum(r * r) * (1.0 / 16.0);
    loss.backward();
    {
      NoGradGuard no_grad;
      w.add_(w.grad(), -0.1);
      b.add_(b.grad(), -0.1);
    }
    w.zero_grad();
    b.zero_grad();
    if (step == 0) fit.first_loss = loss.item();
    fit.last_loss = loss.item();
  }
  fit.w = w.item();
  fit.b = b.item();
  return fit;
}

}  // namespace

TEST_CASE("diamond graphs sum the gradients of every path") {
  Tensor x = leaf({2.0, -1.0});
  // Two branches from x joined by mul: y = sum(x^2 * 3x) = sum(3 x^3), dy/dx = 9 x^2.
  sum((x * x) * (x * 3.0)).backward();
  CHECK(x.grad().to_vector() == Values{36.0, 9.0});

  // An intermediate feeding two consumers: y = sum(h * h + h), h = x^2: dy/dx = 4 x^3 + 2x.
  Tensor z = leaf({2.0, -1.0});
  Tensor h = z * z;
  sum(h * h + h).backward();
  CHECK(z.grad().to_vector() == Values{36.0, -6.0});
}

TEST_CASE("a tensor used twice by one op gets both contributions") {
  Tensor x = leaf({3.0, -0.5, 0.0});
  sum(x * x).backward();  // mul sees the same tensor as both inputs: d/dx = 2x
  CHECK(x.grad().to_vector() == Values{6.0, -1.0, 0.0});
  Tensor y = leaf({1.5});
  sum(add(y, y)).backward();
  CHECK(y.grad().to_vector() == Values{2.0});
}

TEST_CASE("gradients accumulate across separate backward calls until zero_grad") {
  Tensor x = leaf({1.0, 2.0});
  sum(x * x).backward();    // 2x
  sum(x * 3.0).backward();  // + 3
  CHECK(x.grad().to_vector() == Values{5.0, 7.0});
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
  sum(x * 3.0).backward();
  CHECK(x.grad().to_vector() == Values{3.0, 3.0});
}

TEST_CASE("views and broadcast inputs route gradients back to their shapes") {
  // reshape: the gradient of a view lands in the base tensor's shape.
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}}, {.dtype = f64, .requires_grad = true});
  Tensor w = from_vector(Values{10, 20, 30, 40, 50, 60}, {3, 2}, {.dtype = f64});
  sum(reshape(x, {3, 2}) * w).backward();
  CHECK(x.grad().shape() == Shape{2, 3});
  CHECK(x.grad().to_vector() == Values{10, 20, 30, 40, 50, 60});

  // Broadcasting in add: b [3] against a [2, 3]; b's gradient is c summed over rows.
  Tensor a = tensor({{1, 2, 3}, {4, 5, 6}}, {.dtype = f64, .requires_grad = true});
  Tensor b = leaf({0.5, -0.5, 1.0});
  Tensor c = tensor({{1, 2, 3}, {10, 20, 30}}, {.dtype = f64});
  sum((a + b) * c).backward();
  CHECK(a.grad().to_vector() == Values{1, 2, 3, 10, 20, 30});
  CHECK(b.grad().shape() == Shape{3});
  CHECK(b.grad().to_vector() == Values{11, 22, 33});

  // expand ([1, 3] -> [4, 3]) and a 0-d operand.
  Tensor s = from_vector(Values{1, 2, 3}, {1, 3}, {.dtype = f64, .requires_grad = true});
  Tensor k = scalar_tensor(2.0, {.dtype = f64, .requires_grad = true});
  Tensor m = from_vector(Values{1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}, {4, 3}, {.dtype = f64});
  sum(expand(s, {4, 3}) * m * k).backward();
  CHECK(s.grad().shape() == Shape{1, 3});
  CHECK(s.grad().to_vector() == Values{20, 20, 20});  // k * column sums of m
  CHECK(k.grad().shape() == Shape{});
  CHECK(k.grad().item() == 60.0);  // sum over (s broadcast) * m = (1+2+3) * (1+2+3+4)
}

TEST_CASE("a freed graph cannot be replayed, retain_graph keeps it") {
  Tensor x = leaf({2.0});
  Tensor y = sum(x * x * x);
  y.backward(Tensor(), {.retain_graph = true});
  y.backward();                    // allowed once more: the first call kept the graph
  CHECK(x.grad().item() == 24.0);  // 2 * 3x^2
  CHECK_THROWS_AS(y.backward(), AutogradError);
  CHECK_THROWS_AS(grad({y}, {x}), AutogradError);
  try {
    y.backward();
  } catch (const AutogradError& e) {
    CHECK(std::string(e.what()).find("retain_graph") != std::string::npos);
  }
  // grad() frees the graph too unless told otherwise.
  Tensor z = sum(x * x);
  CHECK(grad({z}, {x}, {}, {.retain_graph = true})[0].item() == 4.0);
  CHECK(grad({z}, {x})[0].item() == 4.0);
  CHECK_THROWS_AS(grad({z}, {x}), AutogradError);
}

TEST_CASE("NoGradGuard records nothing and nests") {
  Tensor x = leaf({1.0, 2.0});
  const std::size_t before = current_tape().live_size();
  Tensor y;
  {
    NoGradGuard outer;
    CHECK_FALSE(is_grad_enabled());
    {
      NoGradGuard inner;
      y = x * x;
    }
    CHECK_FALSE(is_grad_enabled());  // the inner guard restored "off", not "on"
    {
      GradModeGuard on(true);
      CHECK(is_grad_enabled());
    }
    CHECK_FALSE(is_grad_enabled());
    CHECK(current_tape().live_size() == before);
  }
  CHECK(is_grad_enabled());
  CHECK_FALSE(y.requires_grad());
  CHECK(y.to_vector() == Values{1.0, 4.0});
  CHECK_THROWS_AS(sum(y).backward(), AutogradError);
}

TEST_CASE("detach shares data but cuts the graph") {
  Tensor x = leaf({3.0, -2.0});
  Tensor d = x.detach();
  CHECK(d.raw_data() == x.raw_data());
  CHECK_FALSE(d.requires_grad());
  CHECK(d.is_leaf());
  sum(x * x.detach()).backward();  // only the first factor carries gradient: d/dx = x
  CHECK(x.grad().to_vector() == Values{3.0, -2.0});
  Tensor h = x * x;
  CHECK_FALSE(h.detach().requires_grad());
  CHECK(h.requires_grad());
}

TEST_CASE("grad() of intermediates and of unused inputs") {
  Tensor x = leaf({1.0, -2.0});
  Tensor h = x * x;
  Tensor z = h * 3.0;
  Tensor y = sum(z * z);  // y = 9 x^4
  auto g = grad({y}, {z, h, x}, {}, {.retain_graph = true});
  CHECK(g[0].to_vector() == Values{6.0, 24.0});     // 2 z
  CHECK(g[1].to_vector() == Values{18.0, 72.0});    // 6 z = 18 x^2
  CHECK(g[2].to_vector() == Values{36.0, -288.0});  // 36 x^3
  CHECK_FALSE(x.grad().defined());

  Tensor unused = leaf({5.0});
  CHECK_THROWS_AS(grad({y}, {unused}, {}, {.retain_graph = true}), AutogradError);
  auto none = grad({y}, {x, unused}, {}, {.allow_unused = true});
  CHECK(none[0].to_vector() == Values{36.0, -288.0});
  CHECK_FALSE(none[1].defined());
}

TEST_CASE("create_graph gives second and third derivatives of x^3") {
  Tensor x = leaf({1.0, 2.0, -3.0});
  Tensor y = sum(x * x * x);
  auto d1 = grad({y}, {x}, {}, {.create_graph = true});
  CHECK(d1[0].to_vector() == Values{3.0, 12.0, 27.0});  // 3 x^2
  CHECK(d1[0].requires_grad());
  auto d2 = grad({sum(d1[0])}, {x}, {}, {.create_graph = true});
  CHECK(d2[0].to_vector() == Values{6.0, 12.0, -18.0});           // 6 x
  auto d3 = grad({sum(d2[0])}, {x}, {}, {.retain_graph = true});  // d2's graph runs through d1's
  CHECK(d3[0].to_vector() == Values{6.0, 6.0, 6.0});
  CHECK_FALSE(d3[0].requires_grad());
  // Mixed: d/dx of (dy/dx . v) with a non-uniform v is 6 x v.
  Tensor v = tensor({1.0, -1.0, 0.5}, {.dtype = f64});
  auto mixed = grad({sum(d1[0] * v)}, {x});
  CHECK(mixed[0].to_vector() == Values{6.0, -12.0, -9.0});
}

TEST_CASE("1,000 training iterations do not grow memory or the tape") {
  Tensor x = tensor({0.5, -1.0, 2.0, 1.5}, {.dtype = f64});
  Tensor neg_target = x * -3.0 + 1.0;  // target 3x - 1
  Tensor w = zeros({1}, {.dtype = f64, .requires_grad = true});
  Tensor b = zeros({1}, {.dtype = f64, .requires_grad = true});
  auto step = [&] {
    const Tensor r = w * x + b + neg_target;
    sum(r * r).backward();
    NoGradGuard no_grad;
    w.add_(w.grad(), -0.02);
    b.add_(b.grad(), -0.02);
    w.zero_grad();
    b.zero_grad();
  };
  for (int i = 0; i < 10; ++i) step();  // warm-up
  const MemoryStats warm = memory_stats();
  const std::size_t warm_tape = current_tape().size();
  std::int64_t peak_bytes = warm.live_bytes;
  std::size_t peak_tape = warm_tape;
  for (int i = 0; i < 1000; ++i) {
    step();
    peak_bytes = std::max(peak_bytes, memory_stats().live_bytes);
    peak_tape = std::max(peak_tape, current_tape().size());
  }
  CHECK(memory_stats().live_bytes == warm.live_bytes);
  CHECK(memory_stats().live_storages == warm.live_storages);
  CHECK(peak_bytes - warm.live_bytes <= 64);  // nothing accumulates between iterations
  CHECK(peak_tape <= warm_tape + 16);
  CHECK(current_tape().live_size() == 0);
  // And the model did learn: w -> 3, b -> -1.
  CHECK(w.item() == doctest::Approx(3.0).epsilon(1e-6));
  CHECK(b.item() == doctest::Approx(-1.0).epsilon(1e-6));
}

TEST_CASE("independent models train identically on two threads and alone") {
  const LineFit alone_a = fit_line(11, 200);
  const LineFit alone_b = fit_line(12, 200);
  LineFit threaded_a, threaded_b;
  std::thread ta([&] { threaded_a = fit_line(11, 200); });
  std::thread tb([&] { threaded_b = fit_line(12, 200); });
  ta.join();
  tb.join();
  // Bit for bit: each thread has its own tape and grad mode, and kernels are deterministic.
  CHECK(threaded_a.w == alone_a.w);
  CHECK(threaded_a.b == alone_a.b);
  CHECK(threaded_a.last_loss == alone_a.last_loss);
  CHECK(threaded_b.w == alone_b.w);
  CHECK(threaded_b.b == alone_b.b);
  CHECK(threaded_b.last_loss == alone_b.last_loss);
  CHECK(alone_a.first_loss != alone_b.first_loss);  // different data: the comparison is not trivial
  // The fits converge to the generating line.
  for (const LineFit& fit : {alone_a, alone_b}) {
    CHECK(fit.w == doctest::Approx(1.5).epsilon(1e-6));
    CHECK(fit.b == doctest::Approx(0.25).epsilon(1e-6));
    CHECK(fit.last_loss < 1e-10 * fit.first_loss);
  }
}
