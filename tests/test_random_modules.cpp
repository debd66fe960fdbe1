// Random modules draw from streams forked off the default generator: tg::manual_seed(s)
// reaches them, two modules never share a stream, one seed gives one run bit for bit.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "tapegrad.hpp"

using namespace tg;
using namespace tg::nn;

namespace {

// The kept positions (1) and dropped ones (0) of one Dropout(0.5) forward over 1000 ones.
std::vector<double> mask_of(Dropout& d) {
  const std::vector<double> y = d(ones({1000}, {.dtype = DType::Float64})).to_vector();
  std::vector<double> mask;
  for (double v : y) mask.push_back(v != 0.0 ? 1.0 : 0.0);
  return mask;
}

std::int64_t differences(const std::vector<double>& a, const std::vector<double>& b) {
  std::int64_t n = 0;
  for (std::size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
  return n;
}

}  // namespace

TEST_CASE("two Dropout modules draw different masks") {
  manual_seed(1);
  Dropout first(0.5), second(0.5);
  // Independent masks with p = 0.5 differ in about half of the 1000 places.
  CHECK(differences(mask_of(first), mask_of(second)) > 400);
}

TEST_CASE("Dropout masks follow manual_seed: equal for one seed, different across seeds") {
  manual_seed(11);
  Dropout a1(0.5), a2(0.5);
  const std::vector<double> m1 = mask_of(a1), m2 = mask_of(a2), m1_next = mask_of(a1);
  manual_seed(11);
  Dropout b1(0.5), b2(0.5);
  CHECK(mask_of(b1) == m1);
  CHECK(mask_of(b2) == m2);
  CHECK(mask_of(b1) == m1_next);
  manual_seed(12);
  Dropout c1(0.5);
  CHECK(differences(mask_of(c1), m1) > 400);
  // Each mask keeps about half (binomial(1000, 0.5): 500 +- 16).
  double kept = 0;
  for (double v : m1) kept += v;
  CHECK(kept > 420);
  CHECK(kept < 580);
}

TEST_CASE("a model's initial weights and dropout masks are reproducible for one seed") {
  auto build = [](std::uint64_t seed) {
    manual_seed(seed);
    auto model = std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
        std::make_shared<Linear>(8, 16), std::make_shared<Dropout>(0.5), std::make_shared<Linear>(16, 4)});
    return model;
  };
  auto run = [](Sequential& m) {
    std::vector<double> out;
    for (const auto& [name, t] : m.named_parameters())
      for (double v : t.to_vector()) out.push_back(v);
    for (int i = 0; i < 3; ++i)
      for (double v : m(ones({2, 8})).to_vector()) out.push_back(v);
    return out;
  };
  const auto m1 = build(5), m2 = build(5), m3 = build(6);
  const std::vector<double> r1 = run(*m1);
  CHECK(run(*m2) == r1);
  CHECK(differences(run(*m3), r1) > 0);
}
