// pow at base 0: the gradients PyTorch defines there (no NaN), for the tensor exponent and
// the constant one, first and second order.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tapegrad.hpp"

using namespace tg;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Exact comparison that also accepts matching infinities (and reports NaN as a mismatch).
void check_exact(const Tensor& got, const std::vector<double>& want, const std::string& what) {
  INFO(what);
  const std::vector<double> g = got.to_vector();
  REQUIRE(g.size() == want.size());
  for (std::size_t i = 0; i < g.size(); ++i) {
    const bool same = g[i] == want[i] || std::abs(g[i] - want[i]) <= 1e-15 * std::abs(want[i]);
    CHECK_MESSAGE(same, "element ", i, ": got ", g[i], ", want ", want[i]);
  }
}

Tensor leaf(const std::vector<double>& v) {
  return from_vector(v, {static_cast<std::int64_t>(v.size())}, {.dtype = DType::Float64}).set_requires_grad(true);
}

}  // namespace

TEST_CASE("pow(a, b) gradients at base 0 follow PyTorch: no NaN, masked where the limit is 0") {
  // Columns: 0^0, 0^2, 0^1, 0^0.5, 0^-1, 2^3, 0.5^0.
  const Tensor a = leaf({0, 0, 0, 0, 0, 2, 0.5});
  const Tensor b = leaf({0, 2, 1, 0.5, -1, 3, 0});
  const auto g = grad({sum(pow(a, b))}, {a, b});
  // d/da = b a^(b-1), 0 where b == 0:   0^0 -> 0, 0^2 -> 0, 0^1 -> 1, 0^0.5 -> inf, 0^-1 -> -1/0^2 = -inf.
  check_exact(g[0], {0, 0, 1, kInf, -kInf, 12, 0}, "d/dbase");
  // d/db = a^b log a, 0 where a == 0 and b >= 0;  0^-1: inf * log 0 = -inf (the limit as a -> +0).
  check_exact(g[1], {0, 0, 0, 0, -kInf, 8 * std::log(2.0), std::log(0.5)}, "d/dexponent");
}

TEST_CASE("pow(a, b) second derivatives at base 0 stay finite where the first are masked") {
  // Columns: 0^0, 0^2, 0^3, 1.5^2.
  const Tensor a = leaf({0, 0, 0, 1.5});
  const Tensor b = leaf({0, 2, 3, 2});
  const auto g = grad({sum(pow(a, b))}, {a, b}, {}, {.create_graph = true});
  // d2/da2 of sum: b (b-1) a^(b-2) (0^0 -> 0 * -1 * 0^-2 has no limit; the rule gives 0 there).
  const auto gaa = grad({sum(g[0])}, {a}, {}, {.retain_graph = true});
  check_exact(gaa[0], {0, 2, 0, 2}, "d2/dbase2");
  // d/db of d/da = a^(b-1) + b a^(b-1) log a: 0^2 -> 0 + 0, 1.5^2 -> 1.5 + 2 * 1.5 log 1.5.
  const auto gab = grad({sum(g[0])}, {b}, {}, {.retain_graph = true});
  const std::vector<double> got = gab[0].to_vector();
  CHECK_FALSE(std::isnan(got[0]));
  check_exact(gab[0].slice(0, 1, 4), {0, 0, 1.5 + 3 * std::log(1.5)}, "d2/dbase dexponent");
  // d/db of d/db = a^b log(a)^2, 0 where masked.
  const auto gbb = grad({sum(g[1])}, {b});
  check_exact(gbb[0], {0, 0, 0, 2.25 * std::log(1.5) * std::log(1.5)}, "d2/dexponent2");
}

TEST_CASE("pow(a, b) stays gradient-checked with zero bases and integer exponents") {
  // Finite differences at a = 0 are defined for integer exponents (negative a is fine there).
  const Tensor a = leaf({0, 0, 1.25, 0.75});
  const Tensor b = leaf({2, 3, 0.5, -1.5});
  const auto fn = [](const std::vector<Tensor>& in) { return pow(in[0], in[1]); };
  const GradcheckReport first = gradcheck(fn, {a, b});
  INFO(first.message);
  CHECK(first.passed);
}

TEST_CASE("pow(x, p) with a constant exponent at x = 0 follows PyTorch") {
  const Tensor x = leaf({0, 0, 0, 3});
  CHECK(grad({sum(pow(x, 0.0))}, {x})[0].to_vector() == std::vector<double>{0, 0, 0, 0});
  check_exact(grad({sum(pow(x, 2.0))}, {x})[0], {0, 0, 0, 6}, "x^2");
  check_exact(grad({sum(pow(x, 0.5))}, {x})[0], {kInf, kInf, kInf, 0.5 / std::sqrt(3.0)}, "x^0.5");
}
