// Graphs recorded on more than one thread: part of the graph is built on a worker thread
// (onto that thread's tape), the rest and the backward pass on the main thread. Every
// gradient must arrive; the expected values are worked out by hand in each case.
#include <doctest/doctest.h>

#include <thread>

#include "tapegrad.hpp"

using namespace tg;

namespace {

Tensor leaf(std::initializer_list<double> values) { return tensor(values, {.dtype = f64, .requires_grad = true}); }

using Values = std::vector<double>;

Values values(const Tensor& t) {
  REQUIRE(t.defined());
  const Tensor c = t.contiguous();
  return {c.data<double>(), c.data<double>() + c.numel()};
}

// Runs f on a new thread and waits for it: whatever f records lands on that thread's tape.
template <class F>
auto on_worker(F f) {
  decltype(f()) result;
  std::thread worker([&] { result = f(); });
  worker.join();
  return result;
}

}  // namespace

TEST_CASE("backward on the main thread reaches a graph part recorded on a worker thread") {
  const Tensor x = leaf({1.0, -2.0, 3.0});
  const Tensor y = on_worker([&] { return x * 2.0; });
  sum(y * 3.0).backward();
  // d/dx sum(3 * 2x) = 6 everywhere.
  CHECK(values(x.grad()) == Values{6.0, 6.0, 6.0});
}

TEST_CASE("a graph recorded wholly on a worker thread can be differentiated on the main thread") {
  const Tensor x = leaf({0.5, 2.0});
  const Tensor loss = on_worker([&] { return sum(x * x * x); });
  loss.backward();
  // d/dx sum(x^3) = 3 x^2.
  CHECK(values(x.grad()) == Values{0.75, 12.0});
}

TEST_CASE("graphs interleaved across threads: worker, main, worker again, then backward on main") {
  const Tensor x = leaf({1.0, 2.0});
  const Tensor w = leaf({3.0, -1.0});
  // The worker's tape starts afresh, so its early positions can be below the main
  // thread's: the replay order must not depend on which tape recorded a node.
  for (int i = 0; i < 50; ++i) (void)(x * 1.0);       // advances the main thread's recording only
  const Tensor a = on_worker([&] { return x * w; });  // a = x w
  const Tensor b = a * a;                             // b = x^2 w^2 (main)
  const Tensor c = on_worker([&] { return b + a; });  // c = x^2 w^2 + x w
  const Tensor loss = sum(c * x);                     // x^3 w^2 + x^2 w (main)
  loss.backward();
  // dL/dx = 3 x^2 w^2 + 2 x w;  dL/dw = 2 x^3 w + x^2.
  CHECK(values(x.grad()) == Values{3.0 * 1 * 9 + 2.0 * 1 * 3, 3.0 * 4 * 1 + 2.0 * 2 * -1});
  CHECK(values(w.grad()) == Values{2.0 * 1 * 3 + 1.0, 2.0 * 8 * -1 + 4.0});
}

TEST_CASE("tg::grad on the main thread through nodes recorded on a worker thread") {
  const Tensor x = leaf({1.0, -2.0, 3.0});
  const Tensor y = on_worker([&] { return x * x; });
  const Tensor z = y * 3.0;
  const auto grads = grad({sum(z)}, {x, y});
  CHECK(values(grads[0]) == Values{6.0, -12.0, 18.0});  // 6 x
  CHECK(values(grads[1]) == Values{3.0, 3.0, 3.0});
  CHECK_FALSE(x.grad().defined());  // grad() returns gradients, it does not accumulate them
}

TEST_CASE("second-order gradients through a graph part recorded on a worker thread") {
  const Tensor x = leaf({2.0});
  const Tensor y = on_worker([&] { return x * x * x; });
  const auto first = grad({y}, {x}, {}, {.create_graph = true});
  CHECK(values(first[0]) == Values{12.0});  // 3 x^2
  const auto second = grad({first[0]}, {x});
  CHECK(values(second[0]) == Values{12.0});  // 6 x
}

TEST_CASE("a graph part recorded on a worker thread is freed by the first backward like any other") {
  const Tensor x = leaf({1.0, 2.0});
  const Tensor y = on_worker([&] { return x * x; });
  const Tensor loss = sum(y);
  loss.backward();
  CHECK(values(x.grad()) == Values{2.0, 4.0});
  // The worker's node was released by that backward: a second one must say so.
  CHECK_THROWS_WITH_AS(sum(y).backward(), doctest::Contains("already freed"), AutogradError);
}
