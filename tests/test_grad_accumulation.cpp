// Gradient accumulation in the engine: a sum the replay built itself is extended in place,
// which must give the bits of out-of-place sums and never write into a tensor that a backward
// passed on, the user gave or holds.
#include <doctest/doctest.h>

#include "tapegrad.hpp"

using namespace tg;

namespace {

// Float32 values whose sums round, so that a different order of terms shows in the bits.
Tensor random_f32(const Shape& shape, std::uint64_t seed) {
  Generator gen(seed);
  return randn(shape, gen) * 1.7;
}

}  // namespace

TEST_CASE("a tensor used many times gets the bits of its contributions summed by explicit ops") {
  const Tensor x = random_f32({33, 65}, 1).set_requires_grad();
  const Tensor h = x * 1.5;  // an intermediate: its sum flows on through mul's backward
  std::vector<Tensor> weights;
  Tensor loss;
  for (std::uint64_t i = 0; i < 8; ++i) {
    weights.push_back(random_f32({33, 65}, 10 + i));
    const Tensor term = sum(h * weights.back());
    loss = loss.defined() ? loss + term : term;
  }
  const std::vector<Tensor> g = grad({loss}, {h}, {}, {.retain_graph = true});
  loss.backward();
  // The newest use is replayed first: its term starts the sum, the oldest comes last.
  Tensor expected = weights[7];
  for (int i = 6; i >= 0; --i) expected = expected + weights[static_cast<std::size_t>(i)];
  CHECK(g[0].to_vector() == expected.to_vector());
  CHECK(x.grad().to_vector() == (expected * 1.5).to_vector());
}

TEST_CASE("a gradient a backward passes to two inputs is not written by either sum") {
  const Tensor x = random_f32({7, 9}, 2).set_requires_grad();
  const Tensor k = random_f32({7, 9}, 3).set_requires_grad();
  const Tensor h = x * 1.0;
  const Tensor w1 = random_f32({7, 9}, 4), w2 = random_f32({7, 9}, 5), w3 = random_f32({7, 9}, 6);
  const Tensor p = h * w2, q = h * w3;
  const Tensor s = (h + k) * w1;  // newest: add's backward hands w1 to h and to k, one tensor
  (sum(p) + sum(q) + sum(s)).backward();
  CHECK(k.grad().to_vector() == w1.to_vector());
  CHECK(x.grad().to_vector() == ((w1 + w3) + w2).to_vector());
}

TEST_CASE("a gradient given by the user and passed on is not written") {
  const Tensor x = random_f32({5, 6}, 7).set_requires_grad();
  const Tensor y = (x + x) + x;  // x receives the given gradient itself, then two more terms
  const Tensor given = random_f32({5, 6}, 8);
  const std::vector<double> given_values = given.to_vector();
  y.backward(given);
  CHECK(given.to_vector() == given_values);
  CHECK(x.grad().to_vector() == ((given + given) + given).to_vector());
}

TEST_CASE(".grad() accumulates across backward calls without writing the tensor a user holds") {
  const Tensor x = random_f32({4, 8}, 9).set_requires_grad();
  const Tensor w = random_f32({4, 8}, 10);
  const auto run = [&] { (sum(x * w) + sum(x * w) + sum(x * w)).backward(); };
  run();
  const Tensor first = x.grad();
  const std::vector<double> first_values = first.to_vector();
  CHECK(first_values == ((w + w) + w).to_vector());
  run();
  CHECK(first.to_vector() == first_values);
  CHECK(x.grad().to_vector() == (first + ((w + w) + w)).to_vector());
}

TEST_CASE("create_graph records every accumulation, including sums of three and more terms") {
  const Tensor x = tensor({1.5, -2.0}, {.dtype = f64, .requires_grad = true});
  const Tensor y = sum(x * x * x + x * x);  // x receives five terms
  const Tensor g = grad({y}, {x}, {}, {.create_graph = true})[0];
  REQUIRE(g.requires_grad());
  CHECK(g.to_vector() == std::vector<double>{3 * 1.5 * 1.5 + 2 * 1.5, 3 * 4.0 - 4.0});  // 3x^2 + 2x
  const Tensor gg = grad({sum(g)}, {x})[0];
  CHECK(gg.to_vector() == std::vector<double>{6 * 1.5 + 2, 6 * -2.0 + 2});  // 6x + 2
}
