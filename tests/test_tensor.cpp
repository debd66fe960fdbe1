// The tensor layer: stride math, broadcasting, factories, random numbers, printing and
// comparisons (printing is in test_tensor_format.cpp, .npy I/O in test_tensor_npy.cpp).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <sstream>

#include "tapegrad.hpp"

using namespace tg;

namespace {

// PCG32 as published (O'Neill, pcg-random.org, pcg_basic.c: pcg32_srandom_r and
// pcg32_random_r), written out here so the library's Generator is checked against it.
struct Pcg32 {
  std::uint64_t state = 0;
  std::uint64_t inc = 0;
  Pcg32(std::uint64_t initstate, std::uint64_t initseq) : inc((initseq << 1u) | 1u) {
    next();
    state += initstate;
    next();
  }
  std::uint32_t next() {
    const std::uint64_t old = state;
    state = old * 6364136223846793005ULL + inc;
    const auto xorshifted = static_cast<std::uint32_t>(((old >> 18u) ^ old) >> 27u);
    const auto rot = static_cast<std::uint32_t>(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
  }
  std::int64_t below(std::int64_t n) { return static_cast<std::int64_t>(next() % static_cast<std::uint32_t>(n)); }
};
constexpr std::uint64_t kGeneratorStream = 0xda3e39cb94b95bdbULL;  // the stream tg::Generator documents

// Storage offset of the `linear`-th element (row-major) of a (shape, strides) view.
std::int64_t offset_of(const Shape& shape, const Strides& strides, std::int64_t linear) {
  std::int64_t off = 0;
  for (auto d = static_cast<std::int64_t>(shape.size()) - 1; d >= 0; --d) {
    off += (linear % shape[d]) * strides[d];
    linear /= shape[d];
  }
  return off;
}

std::int64_t count(const Shape& shape) {
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

// A view as `target` exists iff the strides forced by single steps along each target dim
// reproduce every element's offset.
bool brute_force_viewable(const Shape& shape, const Strides& strides, const Shape& target) {
  Strides candidate(target.size(), 0);
  std::int64_t step = 1;
  for (auto d = static_cast<std::int64_t>(target.size()) - 1; d >= 0; --d) {
    if (target[d] > 1) candidate[d] = offset_of(shape, strides, step);
    step *= target[d];
  }
  for (std::int64_t i = 0; i < count(shape); ++i) {
    if (offset_of(shape, strides, i) != offset_of(target, candidate, i)) return false;
  }
  return true;
}

struct Layout {
  Shape shape;
  Strides strides;
};

// Contiguous, then permuted, sliced with steps, expanded (stride 0) and with extra size-1 dims.
Layout random_layout(Pcg32& rng) {
  Layout l;
  const auto rank = 1 + rng.below(4);
  for (std::int64_t d = 0; d < rank; ++d) l.shape.push_back(rng.below(3) == 0 ? 1 : 2 + rng.below(3));
  l.strides.assign(l.shape.size(), 1);
  for (auto d = rank - 2; d >= 0; --d) l.strides[d] = l.strides[d + 1] * l.shape[d + 1];
  for (auto d = rank - 1; d > 0; --d) {
    if (rng.below(2) == 0) continue;
    const auto e = rng.below(d + 1);
    std::swap(l.shape[d], l.shape[e]);
    std::swap(l.strides[d], l.strides[e]);
  }
  for (std::int64_t d = 0; d < rank; ++d) {
    if (l.shape[d] > 1 && rng.below(3) == 0) {
      const auto start = rng.below(2);
      const auto stepping = 1 + rng.below(2);
      l.shape[d] = (l.shape[d] - start + stepping - 1) / stepping;
      l.strides[d] *= stepping;
    } else if (l.shape[d] == 1 && rng.below(2) == 0) {
      l.shape[d] = 2 + rng.below(2);
      l.strides[d] = 0;
    }
  }
  if (rng.below(3) == 0) {
    const auto at = rng.below(static_cast<std::int64_t>(l.shape.size()) + 1);
    l.shape.insert(l.shape.begin() + at, 1);
    l.strides.insert(l.strides.begin() + at, 1 + rng.below(7));
  }
  return l;
}

// A random shape with `n` elements: n's prime factors spread over 1-4 dims, plus some 1s.
Shape random_target(Pcg32& rng, std::int64_t n) {
  Shape target(static_cast<std::size_t>(1 + rng.below(4)), 1);
  for (std::int64_t p = 2; n > 1; ++p) {
    while (n % p == 0) {
      target[static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(target.size())))] *= p;
      n /= p;
    }
  }
  return target;
}

}  // namespace

TEST_CASE("view_strides agrees with a brute-force search on many layouts") {
  Pcg32 rng(2024, 7);
  int viewable = 0;
  int not_viewable = 0;
  for (int c = 0; c < 3000; ++c) {
    const Layout l = random_layout(rng);
    const Shape target = random_target(rng, count(l.shape));
    const Strides out = view_strides(l.shape, l.strides, target);
    const bool expected = brute_force_viewable(l.shape, l.strides, target);
    INFO("shape ", fmt::format("{}", l.shape), " strides ", fmt::format("{}", l.strides), " target ",
         fmt::format("{}", target));
    REQUIRE(!out.empty() == expected);
    if (out.empty()) {
      ++not_viewable;
      continue;
    }
    ++viewable;
    REQUIRE(out.size() == target.size());
    for (std::int64_t i = 0; i < count(target); ++i)
      REQUIRE(offset_of(target, out, i) == offset_of(l.shape, l.strides, i));
  }
  CHECK(viewable > 500);  // both outcomes must be exercised
  CHECK(not_viewable > 500);
}

TEST_CASE("view_strides on hand-picked layouts") {
  CHECK(view_strides({2, 3}, {3, 1}, {6}) == Strides{1});
  CHECK(view_strides({2, 3}, {1, 2}, {6}).empty());                    // a transpose cannot flatten
  CHECK(view_strides({3, 4}, {1, 0}, {3, 2, 2}) == Strides{1, 0, 0});  // expanded dims split
  CHECK(view_strides({3, 4}, {1, 0}, {12}).empty());
  CHECK(view_strides({4, 3}, {6, 1}, {2, 2, 3}) == Strides{12, 6, 1});  // every other row
  CHECK(view_strides({4, 3}, {6, 1}, {12}).empty());
  CHECK(view_strides({0, 3}, {3, 1}, {3, 0}).size() == 2);  // nothing to address
}

TEST_CASE("broadcast_shapes and broadcast_strides") {
  CHECK(broadcast_shapes({2, 1, 4}, {3, 1}, "op") == Shape{2, 3, 4});
  CHECK(broadcast_shapes({}, {5}, "op") == Shape{5});
  CHECK(broadcast_shapes({0}, {1}, "op") == Shape{0});
  CHECK(broadcast_shapes({1, 1}, {1}, "op") == Shape{1, 1});
  CHECK_THROWS_AS(broadcast_shapes({2, 3}, {4}, "op"), ShapeError);
  CHECK_THROWS_AS(broadcast_shapes({0}, {2}, "op"), ShapeError);
  CHECK_THROWS_WITH_AS(broadcast_shapes({2, 3}, {3, 2}, "mul"),
                       "mul: shapes [2, 3] and [3, 2] cannot be broadcast together", ShapeError);

  // Every target element must read the source element with broadcast dims pinned to 0.
  const Shape src{3, 1};
  const Strides src_strides{5, 7};
  const Shape target{2, 3, 4};
  const Strides bs = broadcast_strides(src, src_strides, target, "op");
  CHECK(bs == Strides{0, 5, 0});
  for (std::int64_t i = 0; i < 2; ++i)
    for (std::int64_t j = 0; j < 3; ++j)
      for (std::int64_t k = 0; k < 4; ++k) CHECK(i * bs[0] + j * bs[1] + k * bs[2] == j * 5);
  CHECK_THROWS_AS(broadcast_strides({2}, {1}, {3}, "op"), ShapeError);
  CHECK_THROWS_AS(broadcast_strides({1, 2}, {2, 1}, {2}, "op"), ShapeError);
}

TEST_CASE("arange, linspace and eye match hand values") {
  CHECK(arange(5.0).to_vector() == std::vector<double>{0, 1, 2, 3, 4});
  CHECK(arange(5.0).dtype() == f32);
  CHECK(arange(1, 2, 0.25, {.dtype = f64}).to_vector() == std::vector<double>{1, 1.25, 1.5, 1.75});
  CHECK(arange(5, 0, -2, {.dtype = i64}).to_vector() == std::vector<double>{5, 3, 1});
  CHECK(arange(-3, 3, 2, {.dtype = i64}).to_vector_as<std::int64_t>() == std::vector<std::int64_t>{-3, -1, 1});
  CHECK(arange(0, 1, 0.1, {.dtype = f64}).numel() == 10);
  CHECK(arange(0, 1, 0.1, {.dtype = f64}).value({9}) == 9 * 0.1);
  CHECK(arange(5, 0).shape() == Shape{0});  // direction disagrees with step: empty, as in NumPy
  CHECK(arange(3, 3).numel() == 0);
  CHECK(arange(3.0, {.dtype = f64, .requires_grad = true}).requires_grad());
  CHECK_THROWS_AS(arange(0, 5, 0), ValueError);
  CHECK_THROWS_AS(arange(0, NAN, 1), ValueError);
  CHECK_THROWS_AS(arange(0, 1, INFINITY), ValueError);
  CHECK_THROWS_AS(arange(0, 1e300, 1e-300), ValueError);
  CHECK_THROWS_AS(arange(9e18, 1e19, 5e17, {.dtype = i64}), ValueError);  // 9.5e18 overflows int64
  CHECK_THROWS_AS(arange(3, {.dtype = boolean}), DTypeError);

  CHECK(linspace(0, 1, 5, {.dtype = f64}).to_vector() == std::vector<double>{0, 0.25, 0.5, 0.75, 1});
  CHECK(linspace(-1, 1, 3).to_vector() == std::vector<double>{-1, 0, 1});
  CHECK(linspace(2, 7, 1).to_vector() == std::vector<double>{2});
  CHECK(linspace(2, 7, 0).shape() == Shape{0});
  const auto tenths = linspace(0, 0.3, 4, {.dtype = f64}).to_vector();
  CHECK(tenths[1] == doctest::Approx(0.1));
  CHECK(tenths[2] == doctest::Approx(0.2));
  CHECK(tenths[3] == 0.3);  // the end point is exact
  CHECK(linspace(0, 10, 3, {.dtype = i64}).to_vector() == std::vector<double>{0, 5, 10});
  CHECK_THROWS_AS(linspace(0, 1, -1), ValueError);
  CHECK_THROWS_AS(linspace(0, INFINITY, 3), ValueError);
  CHECK_THROWS_AS(linspace(0, 1, 3, {.dtype = boolean}), DTypeError);

  CHECK(eye(3).to_vector() == std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0, 1});
  CHECK(eye(2, 3, {.dtype = i64}).to_vector() == std::vector<double>{1, 0, 0, 0, 1, 0});
  CHECK(eye(3, 2).to_vector() == std::vector<double>{1, 0, 0, 1, 0, 0});
  CHECK(eye(3, 2).shape() == Shape{3, 2});
  CHECK(eye(0).shape() == Shape{0, 0});
  CHECK(eye(2, {.dtype = boolean}).value({1, 1}) == 1.0);
  CHECK(eye(2, {.dtype = boolean}).value({0, 1}) == 0.0);
  CHECK_THROWS_AS(eye(-1), ShapeError);
  CHECK_THROWS_AS(eye(2, -3), ShapeError);
}

TEST_CASE("Generator follows the published PCG32 and is deterministic") {
  Pcg32 published(42, 54);  // pcg32-demo's first outputs, as printed in pcg-c-basic
  for (std::uint32_t v : {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u, 0x83d2f293u, 0xbfa4784bu, 0xcbed606eu})
    REQUIRE(published.next() == v);

  for (std::uint64_t seed : {0ULL, 1ULL, 42ULL, 0x853c49e6748fea9bULL}) {
    Pcg32 ref(seed, kGeneratorStream);
    Generator gen(seed);
    for (int i = 0; i < 16; ++i) CHECK(gen.next_u32() == ref.next());
  }

  // uniform: the top 53 bits of two draws (high word first) scaled by 2^-53.
  Pcg32 ref(123, kGeneratorStream);
  Generator gen(123);
  const auto u = rand({4}, gen, {.dtype = f64}).to_vector();
  for (double v : u) {
    const std::uint64_t hi = ref.next();
    const std::uint64_t bits = (hi << 32u) | ref.next();
    CHECK(v == static_cast<double>(bits >> 11u) * std::ldexp(1.0, -53));
  }

  // Same seed, same tensors; another seed, other values.
  manual_seed(7);
  const auto a = randn({64}).to_vector();
  manual_seed(7);
  const auto b = randn({64}).to_vector();
  manual_seed(8);
  const auto c = randn({64}).to_vector();
  CHECK(a == b);
  CHECK(a != c);
  double mean = 0.0;
  Generator normal_gen(99);
  const auto n = randn({20000}, normal_gen, {.dtype = f64}).to_vector();
  for (double v : n) mean += v / static_cast<double>(n.size());
  double var = 0.0;
  for (double v : n) var += (v - mean) * (v - mean) / static_cast<double>(n.size());
  CHECK(std::fabs(mean) < 5.0 / std::sqrt(20000.0));
  CHECK(var == doctest::Approx(1.0).epsilon(0.05));
}

TEST_CASE("randint stays in range and is unbiased") {
  Generator gen(5);
  const auto v = randint(-3, 4, {14000}, gen).to_vector_as<std::int64_t>();
  std::vector<int> hist(7, 0);
  for (auto x : v) {
    REQUIRE(x >= -3);
    REQUIRE(x < 4);
    ++hist[static_cast<std::size_t>(x + 3)];
  }
  for (int h : hist) CHECK(std::abs(h - 2000) < 5 * 38);  // 5 sigma of a binomial(14000, 1/7)

  // A range of 3 * 2^61: 2^64 = 8 * 2^61, so plain modulo of 64-bit draws would give the
  // values below 2 * 2^61 three preimages and the rest two (a share of 3/4, not 2/3).
  const std::int64_t range = 3 * (std::int64_t{1} << 61);
  const auto w = randint(0, range, {6000}, gen).to_vector_as<std::int64_t>();
  int low = 0;
  for (auto x : w) {
    REQUIRE(x >= 0);
    REQUIRE(x < range);
    low += x < (std::int64_t{2} << 61) ? 1 : 0;
  }
  CHECK(std::fabs(low / 6000.0 - 2.0 / 3.0) < 0.03);  // 5 sigma; the biased share is 0.083 away
  CHECK(randint(0, 1, {5}, gen).to_vector() == std::vector<double>(5, 0.0));
  CHECK_THROWS_AS(randint(3, 3, {2}, gen), ValueError);
  CHECK_THROWS_AS(randint(0, 2, {2}, gen, {.dtype = boolean}), DTypeError);
}

TEST_CASE("allclose follows NumPy's formula, with broadcasting") {
  const Tensor a = tensor({1.0, 2.0, 3.0}, {.dtype = f64});
  CHECK(allclose(a, tensor({1.0, 2.0, 3.0})));
  CHECK(allclose(a, tensor({1.00001, 2.00002, 3.00003}, {.dtype = f64})));
  CHECK_FALSE(allclose(a, tensor({1.0, 2.0, 3.001}, {.dtype = f64})));
  CHECK(allclose(scalar_tensor(0.0, {.dtype = f64}), scalar_tensor(1e-8, {.dtype = f64})));  // atol
  CHECK_FALSE(allclose(scalar_tensor(0.0, {.dtype = f64}), scalar_tensor(2e-8, {.dtype = f64})));
  // The tolerance scales with |b| only: asymmetric, as in NumPy.
  CHECK(allclose(scalar_tensor(1.0), scalar_tensor(2.0), 0.5, 0.0));
  CHECK_FALSE(allclose(scalar_tensor(2.0), scalar_tensor(1.0), 0.5, 0.0));
  // NaN and infinities.
  const Tensor nan1 = tensor({NAN, 1.0}, {.dtype = f64});
  CHECK_FALSE(allclose(nan1, nan1));
  CHECK(allclose(nan1, nan1, 1e-5, 1e-8, true));
  CHECK_FALSE(allclose(nan1, tensor({1.0, 1.0}), 1e-5, 1e-8, true));
  CHECK(allclose(tensor({INFINITY, -INFINITY}), tensor({INFINITY, -INFINITY}, {.dtype = f64})));
  CHECK_FALSE(allclose(tensor({INFINITY}), tensor({-INFINITY})));
  CHECK_FALSE(allclose(tensor({INFINITY}, {.dtype = f64}), tensor({1e308}, {.dtype = f64}), 1.0, 1.0));
  // Broadcasting and mixed dtypes.
  CHECK(allclose(tensor({{1, 2}, {1, 2}}), tensor({1, 2}, {.dtype = i64})));
  CHECK_FALSE(allclose(tensor({{1, 2}, {1, 3}}), tensor({1, 2})));
  CHECK(allclose(ones({2, 3}), scalar_tensor(1.0)));
  CHECK_THROWS_AS(allclose(zeros({2, 3}), zeros({2})), ShapeError);
  CHECK_THROWS_AS(allclose(a, a, -1.0), ValueError);
  CHECK_THROWS_AS(allclose(a, a, 1e-5, NAN), ValueError);
  // A large (parallel) comparison whose only difference is the last element.
  Tensor big = zeros({300, 301}, {.dtype = f64});
  Tensor other = zeros({300, 301}, {.dtype = f64});
  CHECK(allclose(big, other));
  other.set_value({299, 300}, 1e-3);
  CHECK_FALSE(allclose(big, other));
  CHECK(max_abs_diff(big, other) == 1e-3);
}

TEST_CASE("equal and max_abs_diff") {
  const Tensor a = tensor({{1, 2, 3}, {4, 5, 6}});
  CHECK(equal(a, tensor({{1, 2, 3}, {4, 5, 6}})));
  CHECK(equal(a, tensor({{1, 2, 3}, {4, 5, 6}}, {.dtype = i64})));  // by value across dtypes
  CHECK_FALSE(equal(a, tensor({{1, 2, 3}, {4, 5, 7}})));
  CHECK_FALSE(equal(a, tensor({1, 2, 3})));           // broadcastable is not equal
  CHECK_FALSE(equal(a, tensor({1, 2, 3, 4, 5, 6})));  // same values, other shape
  CHECK_FALSE(equal(tensor({NAN}), tensor({NAN})));
  CHECK(equal(zeros({0, 3}), zeros({0, 3}, {.dtype = i64})));
  // int64 compares exactly, beyond double's 53 bits.
  const std::int64_t big = (std::int64_t{1} << 53) + 1;
  CHECK_FALSE(equal(from_vector(std::vector<std::int64_t>{big}), from_vector(std::vector<std::int64_t>{big - 1})));
  CHECK(equal(from_vector(std::vector<std::int64_t>{big}), from_vector(std::vector<std::int64_t>{big})));
  // A transposed view against its values written out by hand.
  const Tensor t = raw::as_strided(a, {3, 2}, {1, 3}, 0);
  CHECK(equal(t, tensor({{1, 4}, {2, 5}, {3, 6}})));

  CHECK(max_abs_diff(tensor({1.0, -2.0, 3.0}), tensor({1.5, 2.0, 3.0})) == 4.0);
  CHECK(max_abs_diff(tensor({{1, 2}, {3, 4}}), tensor({1, 1})) == 3.0);  // broadcast
  CHECK(max_abs_diff(zeros({0}), zeros({0})) == 0.0);
  CHECK(max_abs_diff(tensor({INFINITY, 1.0}), tensor({INFINITY, 1.0})) == 0.0);
  CHECK(std::isnan(max_abs_diff(tensor({NAN, 1.0}), tensor({0.0, 100.0}))));
  CHECK(std::isinf(max_abs_diff(tensor({INFINITY}), tensor({0.0}))));
  CHECK_THROWS_AS(max_abs_diff(zeros({2}), zeros({3})), ShapeError);
}
