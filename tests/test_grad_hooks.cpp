// Grad-ready hooks and backward callbacks (autograd/hooks.hpp): a hook runs once per
// backward(), as soon as nothing left to replay can add to its leaf, with the value .grad()
// ends with; callbacks run after every .grad() is written.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tapegrad.hpp"

using namespace tg;

namespace {

Tensor random_f32(const Shape& shape, std::uint64_t seed) {
  Generator gen(seed);
  return randn(shape, gen);
}

// Removes the hooks it registered when it goes out of scope, so that no test leaves hooks
// (and the walk they switch on) behind.
struct HookLog {
  std::vector<std::string> fired;
  std::vector<std::vector<double>> values;
  std::vector<std::pair<Tensor, std::uint64_t>> registered;

  void watch(const Tensor& leaf, std::string name) {
    registered.emplace_back(leaf, register_grad_ready_hook(leaf, [this, name](const Tensor& g) {
                              fired.push_back(name);
                              values.push_back(g.to_vector());
                            }));
  }
  ~HookLog() {
    for (const auto& [leaf, id] : registered) remove_grad_ready_hook(leaf, id);
  }
};

}  // namespace

TEST_CASE("grad-ready hooks fire layer by layer, newest use first, with the final gradient") {
  // y = sum(((x * w1) * w2) * w3 * x): x is used first and last, so its last use (the newest
  // product) does not complete it; it completes with w1, in the oldest product (x is that
  // node's first input), while w3 and w2 are complete as soon as their own product is replayed.
  const Tensor x = random_f32({4, 5}, 1).set_requires_grad();
  const Tensor w1 = random_f32({4, 5}, 2).set_requires_grad();
  const Tensor w2 = random_f32({4, 5}, 3).set_requires_grad();
  const Tensor w3 = random_f32({4, 5}, 4).set_requires_grad();
  HookLog log;
  for (const auto& [t, name] : {std::pair{x, "x"}, {w1, "w1"}, {w2, "w2"}, {w3, "w3"}}) log.watch(t, name);
  const Tensor loss = sum((((x * w1) * w2) * w3) * x);
  const std::vector<Tensor> expected = grad({loss}, {w3, w2, x, w1}, {}, {.retain_graph = true});
  CHECK(log.fired.empty());  // grad() leaves .grad() alone and runs no hook
  loss.backward();
  CHECK(log.fired == std::vector<std::string>{"w3", "w2", "x", "w1"});
  REQUIRE(log.values.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) CHECK(log.values[i] == expected[i].to_vector());
  CHECK(x.grad().to_vector() == log.values[2]);
  // Independently: d/dw3 = x*w1*w2*x.
  CHECK(allclose(w3.grad(), ((x * w1) * w2) * x, 1e-6, 1e-6));
}

TEST_CASE("a grad-ready hook sees the earlier .grad() plus this backward's, the bits .grad() keeps") {
  const Tensor w = random_f32({3, 3}, 5).set_requires_grad();
  const Tensor a = random_f32({3, 3}, 6), b = random_f32({3, 3}, 7);
  sum(w * a).backward();
  HookLog log;
  log.watch(w, "w");
  sum(w * b).backward();
  REQUIRE(log.values.size() == 1);
  CHECK(log.values[0] == (a + b).to_vector());
  CHECK(w.grad().to_vector() == log.values[0]);
}

TEST_CASE("a leaf that no gradient reaches runs no hook; a removed hook no longer runs") {
  const Tensor used = random_f32({2}, 8).set_requires_grad();
  const Tensor unused = random_f32({2}, 9).set_requires_grad();
  HookLog log;
  log.watch(used, "used");
  log.watch(unused, "unused");
  const Tensor also = unused * 2.0;  // recorded, but not part of the loss
  sum(used * 3.0).backward();
  CHECK(log.fired == std::vector<std::string>{"used"});
  for (const auto& [leaf, id] : log.registered) remove_grad_ready_hook(leaf, id);
  log.registered.clear();
  sum(used * 3.0).backward();
  CHECK(log.fired.size() == 1);
  CHECK(used.grad().to_vector() == std::vector<double>{6.0, 6.0});
}

TEST_CASE("a backward callback runs after every .grad() is written; outside backward it is an error") {
  const Tensor w = random_f32({2, 2}, 10).set_requires_grad();
  const Tensor v = random_f32({2, 2}, 11).set_requires_grad();
  std::vector<double> seen_w, seen_v;
  const auto id = register_grad_ready_hook(w, [&](const Tensor&) {
    queue_backward_callback([&] {
      seen_w = w.grad().to_vector();
      seen_v = v.grad().to_vector();  // v's gradient is complete after w's: written by now
    });
  });
  sum(w * v).backward();
  remove_grad_ready_hook(w, id);
  CHECK(seen_w == v.to_vector());
  CHECK(seen_v == w.to_vector());
  CHECK_THROWS_AS(queue_backward_callback([] {}), AutogradError);
  CHECK_THROWS_AS(register_grad_ready_hook(w * 2.0, [](const Tensor&) {}), AutogradError);
}

TEST_CASE("a hook that throws stops backward and leaves every .grad() as it was") {
  const Tensor w = random_f32({2}, 12).set_requires_grad();
  const Tensor v = random_f32({2}, 13).set_requires_grad();
  const auto id = register_grad_ready_hook(v, [](const Tensor&) { throw ValueError("hook failed"); });
  CHECK_THROWS_AS(sum(w * v).backward(), ValueError);
  remove_grad_ready_hook(v, id);
  CHECK_FALSE(w.grad().defined());
  CHECK_FALSE(v.grad().defined());
}
