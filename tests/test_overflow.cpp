// Size and integer overflow: shapes whose element count, strides or byte size do not fit
// int64, op arguments that would overflow the index arithmetic, int64 arithmetic (wraps in
// two's complement) and float -> int64 conversions (ValueError when not representable).
// Every case here was undefined behaviour or a silently wrong result before.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "tapegrad.hpp"

using namespace tg;

namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t k2p32 = std::int64_t{1} << 32;
constexpr std::int64_t k2p40 = std::int64_t{1} << 40;
constexpr std::int64_t k2p62 = std::int64_t{1} << 62;
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

Tensor ints(std::vector<std::int64_t> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return from_vector(v, {n});
}

}  // namespace

TEST_CASE("overflow: shapes whose element count or byte size exceeds int64 are refused") {
  const auto live = memory_stats().live_bytes;
  CHECK_THROWS_AS(ones({k2p32, k2p32}), ShapeError);  // 2^64 elements
  CHECK_THROWS_AS(zeros({k2p62}), ShapeError);        // 2^64 bytes of float32
  CHECK_THROWS_AS(empty({k2p62 / 2, 4}, {.dtype = DType::Int64}), ShapeError);
  CHECK_THROWS_WITH_AS(zeros({k2p32, k2p32, 3}), doctest::Contains("zeros"), ShapeError);
  // A zero-size tensor still needs contiguous strides that fit (PyTorch refuses it too).
  CHECK_THROWS_AS(zeros({0, k2p40, k2p40}), ShapeError);
  CHECK(memory_stats().live_bytes == live);  // nothing was allocated

  // The largest shapes that do fit keep working, with exact strides.
  const Tensor z = zeros({0, k2p40, 1 << 20});
  CHECK(z.numel() == 0);
  CHECK(z.strides() == Strides{k2p40 << 20, 1 << 20, 1});
}

TEST_CASE("overflow: views with more than 2^63 - 1 elements are refused, as PyTorch does") {
  const Tensor one = ones({1});
  CHECK_THROWS_AS(one.expand({k2p32, k2p32}), ShapeError);
  CHECK_THROWS_AS(sum(one.expand({k2p32, k2p32})), ShapeError);
  // A huge view whose count fits is fine as a view; it is only its copies that cannot exist.
  const Tensor wide = one.expand({k2p32, k2p32 / 4});
  CHECK(wide.numel() == k2p62);
  CHECK(wide.value({k2p32 - 1, 5}) == 1.0);
  CHECK_THROWS_AS(wide.contiguous(), ShapeError);  // 2^62 float32 = 2^64 bytes
  // raw::as_strided checks the storage bounds without overflowing.
  CHECK_THROWS_AS(raw::as_strided(ones({4}), {3}, {k2p62}, 0), IndexError);
  CHECK_THROWS_AS(raw::as_strided(ones({4}), {2, 2}, {kMax, kMax}, 0), IndexError);
  CHECK_THROWS_AS(raw::as_strided(ones({4}), {2}, {1}, kMax), IndexError);
}

TEST_CASE("overflow: reshape checks the element count of the target, -1 included") {
  const Tensor e = zeros({0});
  CHECK_THROWS_AS(e.reshape({k2p32, k2p32, 0}), ShapeError);
  CHECK_THROWS_AS(e.reshape({-1, k2p32, k2p32}), ShapeError);
  CHECK_THROWS_AS(ones({6}).reshape({-1, kMax, 2}), ShapeError);
  CHECK(ones({6}).reshape({-1, 3}).shape() == Shape{2, 3});
}

TEST_CASE("overflow: narrow and slice arguments never overflow the index arithmetic") {
  const Tensor x = tensor({10, 11, 12, 13});
  CHECK_THROWS_AS(x.narrow(0, 2, kMax), IndexError);
  CHECK_THROWS_AS(x.narrow(0, -2, kMax), IndexError);
  CHECK(x.narrow(0, 2, 2).to_vector() == std::vector<double>{12, 13});
  // Python semantics: x[0:4:huge] is the first element, x[kMin:kMax] everything.
  CHECK(x.slice(0, 0, 4, kMax).to_vector() == std::vector<double>{10});
  CHECK(x.slice(0, 1, kMax, kMax).to_vector() == std::vector<double>{11});
  CHECK(x.slice(0, kMin, kMax).to_vector() == std::vector<double>{10, 11, 12, 13});
  CHECK(x.slice(0, kMax, kMin).numel() == 0);
  CHECK(x.slice(0, 1, kMax, 2).to_vector() == std::vector<double>{11, 13});
}

TEST_CASE("overflow: pad widths are checked") {
  const Tensor x = ones({2});
  CHECK_THROWS_AS(pad(x, {k2p62, k2p62}), ShapeError);  // 2 + 2^63
  CHECK_THROWS_AS(pad(x, {kMax, 1}), ShapeError);
  CHECK_THROWS_AS(pad(x, {kMin, 0}), ShapeError);
  CHECK_THROWS_AS(pad(x, {kMin, kMax}), ShapeError);  // sums to 1, but -INT64_MIN does not exist
  CHECK_THROWS_AS(pad(x, {k2p62, 0}), ShapeError);    // fits int64, but not as float32 bytes
  CHECK(pad(x, {1, -1}).to_vector() == std::vector<double>{0, 1});
}

TEST_CASE("overflow: convolution and pooling options are checked") {
  const Tensor x = ones({1, 1, 4, 4});
  const Tensor w = ones({1, 1, 3, 3});
  CHECK_THROWS_AS(conv2d(x, w, {}, {.padding = {k2p62, 0}}), ValueError);
  CHECK_THROWS_AS(conv2d(x, w, {}, {.padding = {kMax, kMax}}), ValueError);
  CHECK_THROWS_AS(conv2d(x, w, {}, {.dilation = {k2p62, 1}}), ValueError);
  // Options beyond 2^31 - 1 have no use and would strain the kernels' index arithmetic.
  CHECK_THROWS_WITH_AS(conv2d(x, w, {}, {.stride = {kMax, kMax}}), doctest::Contains("stride"), ValueError);
  CHECK_THROWS_AS(conv2d(x, w, {}, {.stride = {std::int64_t{1} << 31, 1}}), ValueError);
  CHECK(conv2d(x, w, {}, {.stride = {(std::int64_t{1} << 31) - 1, 1}}).shape() == Shape{1, 1, 1, 2});
  CHECK_THROWS_AS(conv_transpose2d(x, w, {}, {.stride = {k2p62, 1}}), ValueError);
  CHECK_THROWS_AS(conv_transpose2d(x, w, {}, {.dilation = {k2p62, 1}}), ValueError);
  CHECK_THROWS_AS(max_pool2d(x, {.kernel_size = 3, .padding = {k2p62, 0}}), ValueError);
  CHECK_THROWS_AS(max_pool2d(x, {.kernel_size = 3, .padding = {kMax, 0}}), ValueError);
  CHECK_THROWS_AS(max_pool2d(x, {.kernel_size = 3, .dilation = {k2p62, 1}}), ValueError);
  CHECK_THROWS_AS(avg_pool2d(x, {.kernel_size = {kMax, 1}, .padding = {kMax / 2, 0}}), ValueError);
  CHECK_THROWS_AS(max_pool2d(x, {.kernel_size = 2, .stride = {kMax, kMax}}), ValueError);
  CHECK(max_pool2d(x, {.kernel_size = 2, .stride = {(std::int64_t{1} << 31) - 1, 2}}).shape() == Shape{1, 1, 1, 2});
}

TEST_CASE("overflow: int64 add, sub, mul, neg and sum wrap around in two's complement") {
  const Tensor big = ints({kMax, kMin, 3});
  CHECK((big * ints({2, 2, 2})).to_vector_as<std::int64_t>() == std::vector<std::int64_t>{-2, 0, 6});
  CHECK((big + ints({1, -1, 1})).to_vector_as<std::int64_t>() == std::vector<std::int64_t>{kMin, kMax, 4});
  CHECK((big - ints({-1, 1, 1})).to_vector_as<std::int64_t>() == std::vector<std::int64_t>{kMin, kMax, 2});
  CHECK((-big).to_vector_as<std::int64_t>() == std::vector<std::int64_t>{kMin + 1, kMin, -3});
  CHECK(sum(ints({kMax, 1})).item<std::int64_t>() == kMin);
  CHECK(sum(ints({kMax, kMax, 2})).item<std::int64_t>() == 0);
  // Long rows go through the blocked and column kernels.
  const Tensor column = full({40000, 3}, 1.0, {.dtype = DType::Int64}) * ints({kMax, 1, kMin});
  CHECK(sum(column, {0}).to_vector_as<std::int64_t>() ==
        std::vector<std::int64_t>{static_cast<std::int64_t>(static_cast<std::uint64_t>(kMax) * 40000u), 40000, 0});
  CHECK(sum(column.t(), {1}).to_vector_as<std::int64_t>() == sum(column, {0}).to_vector_as<std::int64_t>());
  // In-place updates wrap the same way.
  Tensor y = ints({kMax, 5});
  y.add_(ints({1, 1}));
  CHECK(y.to_vector_as<std::int64_t>() == std::vector<std::int64_t>{kMin, 6});
  y.mul_(ints({2, 2}));
  CHECK(y.to_vector_as<std::int64_t>() == std::vector<std::int64_t>{0, 12});
  y.add_(ints({1, 1}), 3.0);
  CHECK(y.to_vector_as<std::int64_t>() == std::vector<std::int64_t>{3, 15});
  CHECK_THROWS_AS(y.add_(ints({1, 1}), 0.5), ValueError);  // integral tensors need an integral alpha
  y.mul_(4.0);
  CHECK(y.to_vector_as<std::int64_t>() == std::vector<std::int64_t>{12, 60});
  CHECK_THROWS_AS(y.mul_(0.5), ValueError);  // would silently truncate the factor to 0
  CHECK(y.to_vector_as<std::int64_t>() == std::vector<std::int64_t>{12, 60});
}

TEST_CASE("overflow: randint over ranges wider than INT64_MAX, exactly") {
  Generator gen(7);
  const auto v = randint(kMin, kMax, {1000}, gen).to_vector_as<std::int64_t>();
  CHECK(*std::min_element(v.begin(), v.end()) < -(k2p62));  // both halves of the range are drawn
  CHECK(*std::max_element(v.begin(), v.end()) > k2p62);
  CHECK(randint(kMax - 1, kMax, {3}, gen).to_vector_as<std::int64_t>() == std::vector<std::int64_t>(3, kMax - 1));
  CHECK(randint(kMin, kMin + 1, {2}, gen).to_vector_as<std::int64_t>() == std::vector<std::int64_t>(2, kMin));
}

TEST_CASE("overflow: int64 true division by zero and INT64_MIN / -1 are defined (float results)") {
  const Tensor q = div(ints({1, -1, 0, kMin}), ints({0, 0, 0, -1}));
  CHECK(q.dtype() == DType::Float32);
  const auto v = q.to_vector();
  CHECK(v[0] == kInf);
  CHECK(v[1] == -kInf);
  CHECK(std::isnan(v[2]));
  CHECK(v[3] == 0x1p63);
}

TEST_CASE("overflow: a float that becomes an int64 must be finite and in range") {
  for (const double bad : {kNaN, kInf, -kInf, 1e30, 0x1p63, -0x1p64}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(cast(tensor({1.0, bad}), DType::Int64), doctest::Contains("int64"), ValueError);
    CHECK_THROWS_AS(full({2}, bad, {.dtype = DType::Int64}), ValueError);
    CHECK_THROWS_AS(scalar_tensor(bad, {.dtype = DType::Int64}), ValueError);
    CHECK_THROWS_AS(from_vector(std::vector<double>{bad}, {1}, {.dtype = DType::Int64}), ValueError);
    CHECK_THROWS_AS(scalar_tensor(bad).item<std::int64_t>(), ValueError);
    CHECK_THROWS_AS(tensor({bad}).to_vector_as<std::int64_t>(), ValueError);
    Tensor t = ints({7, 8});
    CHECK_THROWS_AS(t.fill_(bad), ValueError);
    CHECK_THROWS_AS(t.set_value({0}, bad), ValueError);
    CHECK_THROWS_AS(t.mul_(bad), ValueError);
    CHECK_THROWS_AS(t.copy_(tensor({bad, 1.0})), ValueError);
    CHECK(t.to_vector_as<std::int64_t>() == std::vector<std::int64_t>{7, 8});  // nothing half-written
  }
  CHECK_THROWS_AS(scalar_tensor(1e10).item<int>(), ValueError);
  // A scalar operand that no int64 holds makes the result float32, as a Python float does.
  const Tensor promoted = ints({1, -2}) * 1e30;
  CHECK(promoted.dtype() == DType::Float32);
  CHECK(promoted.to_vector() == std::vector<double>{static_cast<float>(1e30), static_cast<float>(-2e30)});
  CHECK((ints({1}) + kInf).to_vector() == std::vector<double>{kInf});
  CHECK_THROWS_AS(scalar_tensor(kNaN, {.dtype = DType::Float32}).item<int>(), ValueError);
  // In range: truncation toward zero, exactly at the ends.
  CHECK(cast(tensor({-0x1p63, 0x1p62, -2.9, 2.9}), DType::Int64).to_vector_as<std::int64_t>() ==
        std::vector<std::int64_t>{kMin, k2p62, -2, 2});
  CHECK(full({1}, -0x1p63, {.dtype = DType::Int64}).item<std::int64_t>() == kMin);
  CHECK(scalar_tensor(2.5).item<int>() == 2);
}
