// Masks (masked_fill, tril, triu) against naive loops, their gradients and typed errors; and
// batched matmul with broadcast batch dims (values and gradients against loops, attention
// shapes, thread-count independence).
#include <doctest/doctest.h>

#include <string>

#include "tapegrad.hpp"
#include "test_util.hpp"

using namespace tg;
using test_util::error_of;

namespace {

Tensor bool_tensor(const std::vector<double>& bits, const Shape& shape) {
  return from_vector(bits, shape, {.dtype = f64}).clone_as(DType::Bool);
}

// tril (lower) or triu kept element (i, j) of a matrix, written out as the definition reads.
bool kept(std::int64_t i, std::int64_t j, std::int64_t diagonal, bool lower) {
  return lower ? j <= i + diagonal : j >= i + diagonal;
}

}  // namespace

TEST_CASE("masked_fill matches a loop with a broadcast mask; the gradient flows where the mask is false") {
  Generator gen(31);
  Tensor x = uniform({2, 3, 4}, -1.0, 1.0, gen, {.dtype = f64}).set_requires_grad(true);
  const Tensor mask = bool_tensor({1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0}, {3, 4});  // broadcast over dim 0
  const Tensor y = masked_fill(x, mask, -7.5);
  CHECK(y.shape() == x.shape());
  for (std::int64_t a = 0; a < 2; ++a) {
    for (std::int64_t i = 0; i < 3; ++i) {
      for (std::int64_t j = 0; j < 4; ++j) {
        CHECK(y.value({a, i, j}) == (mask.value({i, j}) != 0 ? -7.5 : x.value({a, i, j})));
      }
    }
  }
  sum(y * y).backward();
  for (std::int64_t a = 0; a < 2; ++a) {
    for (std::int64_t i = 0; i < 3; ++i) {
      for (std::int64_t j = 0; j < 4; ++j) {
        CHECK(x.grad().value({a, i, j}) == (mask.value({i, j}) != 0 ? 0.0 : 2 * x.value({a, i, j})));
      }
    }
  }
  // The attention idiom: -inf above the diagonal, then softmax gives zeros there.
  const Tensor scores = zeros({3, 3});
  const Tensor causal = masked_fill(scores, gt(arange(3.0).reshape({1, 3}), arange(3.0).reshape({3, 1})),
                                    -std::numeric_limits<double>::infinity());
  const std::vector<double> want{1, 0, 0, 0.5, 0.5, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3};
  const std::vector<double> got = softmax(causal, 1).to_vector();
  for (std::size_t i = 0; i < want.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6));
  // An int64 input takes the value converted to int64.
  CHECK(masked_fill(tensor({1, 2}, {.dtype = DType::Int64}), bool_tensor({0, 1}, {2}), 9).to_vector() ==
        std::vector<double>{1, 9});
}

TEST_CASE("masked_fill errors are typed and name the op and shapes") {
  const Tensor x = zeros({2, 3});
  CHECK_THROWS_AS((void)masked_fill(x, zeros({2, 3}), 1.0), DTypeError);
  CHECK_THROWS_AS((void)masked_fill(x, bool_tensor({1, 0}, {2}), 1.0), ShapeError);
  const std::string m = error_of([&] { (void)masked_fill(zeros({3}), bool_tensor({1, 0, 1, 1, 0, 1}, {2, 3}), 1); });
  CHECK(m.find("masked_fill") == 0);
  CHECK(m.find("[2, 3]") != std::string::npos);
  CHECK(m.find("[3]") != std::string::npos);
}

TEST_CASE("tril and triu match loops over batched, non-square, non-contiguous inputs and any diagonal") {
  Generator gen(32);
  const Tensor base = uniform({5, 3, 2}, -1.0, 1.0, gen, {.dtype = f64});
  const Tensor x = raw::as_strided(base, {2, 3, 5}, {1, 2, 6}, 0);  // [2, 3, 5], not contiguous
  for (std::int64_t diagonal : {-4, -1, 0, 2, 6}) {
    for (bool lower : {true, false}) {
      CAPTURE(diagonal);
      CAPTURE(lower);
      const Tensor y = lower ? tril(x, diagonal) : triu(x, diagonal);
      for (std::int64_t b = 0; b < 2; ++b) {
        for (std::int64_t i = 0; i < 3; ++i) {
          for (std::int64_t j = 0; j < 5; ++j) {
            CHECK(y.value({b, i, j}) == (kept(i, j, diagonal, lower) ? x.value({b, i, j}) : 0.0));
          }
        }
      }
    }
  }
  // The gradient is the same mask; tril + triu(1) rebuilds x.
  Tensor w = x.detach().set_requires_grad(true);
  sum(tril(w, 1) * 3.0).backward();
  for (std::int64_t i = 0; i < 3; ++i) {
    for (std::int64_t j = 0; j < 5; ++j) CHECK(w.grad().value({1, i, j}) == (j <= i + 1 ? 3.0 : 0.0));
  }
  CHECK((tril(x) + triu(x, 1)).to_vector() == x.to_vector());
  CHECK(tril(tensor({{1, 2}, {3, 4}}, {.dtype = DType::Int64})).to_vector() == std::vector<double>{1, 0, 3, 4});
  CHECK(tril(zeros({0, 3})).shape() == Shape{0, 3});
  CHECK_THROWS_AS((void)tril(zeros({4})), ShapeError);
  CHECK(error_of([] { (void)triu(scalar_tensor(1.0)); }).find("triu") == 0);
}

TEST_CASE("batched matmul broadcasts batch dims; values and gradients match loops") {
  Generator gen(33);
  Tensor a = uniform({2, 1, 3, 4}, -1.0, 1.0, gen, {.dtype = f64}).set_requires_grad(true);
  Tensor b = uniform({5, 4, 2}, -1.0, 1.0, gen, {.dtype = f64}).set_requires_grad(true);
  const Tensor g = uniform({2, 5, 3, 2}, -1.0, 1.0, gen, {.dtype = f64});
  const Tensor c = matmul(a, b);
  REQUIRE(c.shape() == Shape{2, 5, 3, 2});
  sum(c * g).backward();
  std::vector<double> da(24, 0.0), db(40, 0.0);
  for (std::int64_t p = 0; p < 2; ++p) {
    for (std::int64_t q = 0; q < 5; ++q) {
      for (std::int64_t i = 0; i < 3; ++i) {
        for (std::int64_t j = 0; j < 2; ++j) {
          double want = 0;
          for (std::int64_t k = 0; k < 4; ++k) {
            want += a.value({p, 0, i, k}) * b.value({q, k, j});
            // dA sums over q (a is broadcast along it), dB over p.
            da[static_cast<std::size_t>((p * 3 + i) * 4 + k)] += g.value({p, q, i, j}) * b.value({q, k, j});
            db[static_cast<std::size_t>((q * 4 + k) * 2 + j)] += g.value({p, q, i, j}) * a.value({p, 0, i, k});
          }
          CHECK(c.value({p, q, i, j}) == doctest::Approx(want).epsilon(1e-13));
        }
      }
    }
  }
  const auto ga = a.grad().to_vector();
  const auto gb = b.grad().to_vector();
  for (std::size_t i = 0; i < da.size(); ++i) CHECK(ga[i] == doctest::Approx(da[i]).epsilon(1e-13));
  for (std::size_t i = 0; i < db.size(); ++i) CHECK(gb[i] == doctest::Approx(db[i]).epsilon(1e-13));
}

TEST_CASE("attention-shaped batched matmul [B*H, L, E] x [B*H, E, L] is per-batch GEMM, same bits on 1 and 2 threads") {
  Generator gen(34);
  const Tensor q = rand({16, 64, 32}, gen);
  const Tensor k = rand({16, 64, 32}, gen);
  set_num_threads(1);
  const Tensor one = matmul(q, transpose(k, 1, 2));
  set_num_threads(2);
  const Tensor two = matmul(q, transpose(k, 1, 2));
  set_num_threads(0);
  CHECK(one.to_vector_as<float>() == two.to_vector_as<float>());
  // Each batch equals the 2-D product of its slices.
  for (std::int64_t h : {0, 7, 15}) {
    const Tensor single = matmul(q.slice(0, h, h + 1).squeeze(0), transpose(k.slice(0, h, h + 1).squeeze(0), 0, 1));
    CHECK(one.slice(0, h, h + 1).squeeze(0).to_vector_as<float>() == single.to_vector_as<float>());
  }
}
