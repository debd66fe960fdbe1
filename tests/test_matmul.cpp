// matmul: values against a triple loop for every rank combination (including broadcast
// batch dims and non-contiguous operands), gradients against hand formulas, double
// backward against finite differences, determinism across thread counts, errors.
#include <doctest/doctest.h>

#include <bit>
#include <string>

#include "tapegrad.hpp"
#include "test_util.hpp"

using namespace tg;
using test_util::all_indices;
using test_util::error_of;

namespace {

// Multi-index into x for the broadcast batch index `batch` plus (r, c); 1-D operands take
// only the index that is not promoted.
std::vector<std::int64_t> index_of(const Tensor& x, const std::vector<std::int64_t>& batch, std::int64_t r,
                                   std::int64_t c, bool is_a) {
  if (x.dim() == 1) return {is_a ? c : r};
  std::vector<std::int64_t> idx;
  const auto batch_rank = static_cast<std::size_t>(x.dim() - 2);
  for (std::size_t i = batch.size() - batch_rank; i < batch.size(); ++i) {
    idx.push_back(x.shape()[idx.size()] == 1 ? 0 : batch[i]);
  }
  idx.push_back(r);
  idx.push_back(c);
  return idx;
}

double element(const Tensor& x, const std::vector<std::int64_t>& batch, std::int64_t r, std::int64_t c, bool is_a) {
  return x.value(index_of(x, batch, r, c, is_a));
}

std::int64_t flat(const Shape& shape, const std::vector<std::int64_t>& idx) {
  std::int64_t f = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) f = f * shape[d] + idx[d];
  return f;
}

struct Naive {
  Shape shape;
  std::vector<double> values;
};

// The textbook definition, with NumPy's promotion of 1-D operands written out by hand.
Naive naive_matmul(const Tensor& a, const Tensor& b) {
  const std::int64_t m = a.dim() == 1 ? 1 : a.shape()[a.dim() - 2];
  const std::int64_t k = a.shape().back();
  const std::int64_t n = b.dim() == 1 ? 1 : b.shape().back();
  Shape batch;
  const std::int64_t ba = std::max<std::int64_t>(a.dim() - 2, 0), bb = std::max<std::int64_t>(b.dim() - 2, 0);
  for (std::int64_t i = std::max(ba, bb); i > 0; --i) {
    const std::int64_t da = i <= ba ? a.shape()[ba - i] : 1;
    const std::int64_t db = i <= bb ? b.shape()[bb - i] : 1;
    batch.push_back(std::max(da, db));
  }
  Naive out;
  out.shape = batch;
  if (a.dim() > 1) out.shape.push_back(m);
  if (b.dim() > 1) out.shape.push_back(n);
  for (const auto& bi : all_indices(batch)) {
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (std::int64_t p = 0; p < k; ++p) acc += element(a, bi, i, p, true) * element(b, bi, p, j, false);
        out.values.push_back(acc);
      }
    }
  }
  return out;
}

void check_matches(const Tensor& a, const Tensor& b, double tol) {
  CAPTURE(a.shape());
  CAPTURE(b.shape());
  const Tensor c = matmul(a, b);
  const Naive want = naive_matmul(a, b);
  CHECK(c.shape() == want.shape);
  const auto got = c.to_vector();
  REQUIRE(got.size() == want.values.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want.values[i]).epsilon(tol));
}

}  // namespace

TEST_CASE("matmul matches a triple loop for every rank combination") {
  Generator gen(11);
  const std::vector<std::pair<Shape, Shape>> cases = {{{3}, {3}},
                                                      {{3}, {3, 4}},
                                                      {{3, 4}, {4}},
                                                      {{2, 3}, {3, 4}},
                                                      {{4}, {2, 4, 3}},
                                                      {{2, 3, 4}, {4}},
                                                      {{2, 3, 4}, {2, 4, 5}},
                                                      {{2, 1, 3, 4}, {3, 4, 2}},
                                                      {{3, 4}, {2, 4, 2}},
                                                      {{5, 1, 2, 3}, {1, 4, 3, 2}},
                                                      {{1, 0}, {0, 3}},
                                                      {{0, 2}, {2, 3}}};
  for (DType dtype : {f64, f32}) {
    for (const auto& [sa, sb] : cases) {
      check_matches(uniform(sa, -1, 1, gen, {.dtype = dtype}), uniform(sb, -1, 1, gen, {.dtype = dtype}),
                    dtype == f64 ? 1e-12 : 1e-5);
    }
  }
  // Non-contiguous operands: transposed views, a column slice and a broadcast (stride-0) batch.
  Tensor base_a = uniform({4, 3}, -1, 1, gen, {.dtype = f64});
  Tensor base_b = uniform({5, 4}, -1, 1, gen, {.dtype = f64});
  const Tensor at = raw::as_strided(base_a, {3, 4}, {1, 3}, 0);
  const Tensor bt = raw::as_strided(base_b, {4, 5}, {1, 4}, 0);
  check_matches(at, bt, 1e-12);
  check_matches(raw::as_strided(base_b, {5, 2}, {4, 2}, 1), uniform({2, 3}, -1, 1, gen, {.dtype = f64}), 1e-12);
  check_matches(raw::as_strided(base_a, {4}, {3}, 1), raw::as_strided(base_b, {2, 4, 5}, {0, 1, 4}, 0), 1e-12);
  // The dot product is 0-d.
  CHECK(matmul(tensor({1.0, 2.0, 3.0}), tensor({4.0, 5.0, 6.0})).dim() == 0);
  CHECK(matmul(tensor({1.0, 2.0, 3.0}), tensor({4.0, 5.0, 6.0})).item() == 32.0);
}

TEST_CASE("matmul gradients match the hand formulas dA = g B^T, dB = A^T g, summed over broadcast") {
  Generator gen(12);
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3}, {3}}, {{3}, {3, 4}}, {{3, 4}, {4}}, {{2, 3}, {3, 4}}, {{2, 1, 3, 4}, {3, 4, 2}}, {{4}, {2, 4, 3}}};
  for (const auto& [sa, sb] : cases) {
    CAPTURE(sa);
    CAPTURE(sb);
    Tensor a = uniform(sa, -1, 1, gen, {.dtype = f64, .requires_grad = true});
    Tensor b = uniform(sb, -1, 1, gen, {.dtype = f64, .requires_grad = true});
    const Naive shape_only = naive_matmul(a.detach(), b.detach());
    Tensor w = uniform(shape_only.shape, -1, 1, gen, {.dtype = f64});
    sum(matmul(a, b) * w).backward();
    // Hand formula: loss = sum_{batch, i, j} w[batch, i, j] * sum_p A[batch, i, p] B[batch, p, j].
    const std::int64_t m = a.dim() == 1 ? 1 : sa[sa.size() - 2];
    const std::int64_t k = sa.back();
    const std::int64_t n = b.dim() == 1 ? 1 : sb.back();
    Shape batch(shape_only.shape.begin(), shape_only.shape.end() - (a.dim() > 1) - (b.dim() > 1));
    std::vector<double> da(static_cast<std::size_t>(a.numel()), 0.0), db(static_cast<std::size_t>(b.numel()), 0.0);
    const auto wv = w.to_vector();
    std::size_t out = 0;
    for (const auto& bi : all_indices(batch)) {
      for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < n; ++j, ++out) {
          for (std::int64_t p = 0; p < k; ++p) {
            da[flat(sa, index_of(a, bi, i, p, true))] += wv[out] * element(b, bi, p, j, false);
            db[flat(sb, index_of(b, bi, p, j, false))] += wv[out] * element(a, bi, i, p, true);
          }
        }
      }
    }
    const auto ga = a.grad().to_vector();
    const auto gb = b.grad().to_vector();
    CHECK(a.grad().shape() == sa);
    CHECK(b.grad().shape() == sb);
    for (std::size_t i = 0; i < da.size(); ++i) CHECK(ga[i] == doctest::Approx(da[i]).epsilon(1e-12));
    for (std::size_t i = 0; i < db.size(); ++i) CHECK(gb[i] == doctest::Approx(db[i]).epsilon(1e-12));
  }
  // Only the gradient that is needed is computed.
  Tensor a = uniform({2, 3}, -1, 1, gen, {.dtype = f64, .requires_grad = true});
  Tensor c = uniform({3, 2}, -1, 1, gen, {.dtype = f64});
  sum(matmul(a, c)).backward();
  CHECK(a.grad().defined());
  CHECK_FALSE(c.grad().defined());
}

TEST_CASE("matmul double backward matches finite differences") {
  // h(A, B) = sum(V * dA) with dA = d/dA sum(W * (A @ B)) = W B^T: the gradient of h w.r.t. B
  // is V^T W (broadcast-summed), checked against central differences.
  Generator gen(13);
  Tensor a = uniform({2, 1, 3, 4}, -1, 1, gen, {.dtype = f64, .requires_grad = true});
  Tensor b = uniform({3, 4, 2}, -1, 1, gen, {.dtype = f64, .requires_grad = true});
  Tensor w = uniform({2, 3, 3, 2}, -1, 1, gen, {.dtype = f64});
  Tensor v = uniform({2, 1, 3, 4}, -1, 1, gen, {.dtype = f64});
  auto h = [&](const Tensor& bb, bool create) {
    auto g = grad({sum(matmul(a, bb) * w)}, {a}, {}, {.create_graph = create});
    return sum(g[0] * v);
  };
  auto hb = grad({h(b, true)}, {b});
  const double eps = 1e-6;
  for (const auto& idx : all_indices(b.shape())) {
    auto at = [&](double delta) {
      Tensor bp = from_vector(b.detach().to_vector(), b.shape(), {.dtype = f64});
      bp.set_value(idx, bp.value(idx) + delta);
      return h(bp, false).item();
    };
    CHECK(hb[0].value(idx) == doctest::Approx((at(eps) - at(-eps)) / (2 * eps)).epsilon(1e-6));
  }
}

TEST_CASE("a large matmul is bitwise identical for 1 and 2 threads") {
  Generator gen(14);
  const Tensor a = uniform({192, 300}, -1, 1, gen);
  const Tensor b = uniform({4, 300, 160}, -1, 1, gen);
  set_num_threads(1);
  const auto one = matmul(a, b).to_vector_as<float>();
  set_num_threads(2);
  const auto two = matmul(a, b).to_vector_as<float>();
  set_num_threads(0);
  REQUIRE(one.size() == two.size());
  std::size_t differing = 0;
  for (std::size_t i = 0; i < one.size(); ++i)
    differing += std::bit_cast<std::uint32_t>(one[i]) != std::bit_cast<std::uint32_t>(two[i]);
  CHECK(differing == 0);
  // Spot-check values against the definition.
  for (std::int64_t i : {0, 77, 191}) {
    double acc = 0;
    for (std::int64_t p = 0; p < 300; ++p) acc += a.value({i, p}) * b.value({3, p, 101});
    CHECK(one[static_cast<std::size_t>(3 * 192 * 160 + i * 160 + 101)] == doctest::Approx(acc).epsilon(1e-4));
  }
}

TEST_CASE("matmul errors are typed and exact") {
  CHECK(error_of([] {
          (void)matmul(zeros({2, 3}), zeros({4, 5}));
        }) == "matmul: shapes [2, 3] and [4, 5] cannot be multiplied (3 != 4)");
  CHECK(error_of([] { (void)matmul(zeros({3}), zeros({4})); }) ==
        "matmul: shapes [3] and [4] cannot be multiplied (3 != 4)");
  CHECK_THROWS_AS((void)matmul(zeros({2, 3}), zeros({4, 5})), ShapeError);
  CHECK_THROWS_AS((void)matmul(zeros({2, 2, 3}), zeros({3, 3, 4})), ShapeError);  // batch 2 vs 3
  CHECK_THROWS_AS((void)matmul(scalar_tensor(1.0), zeros({3})), ShapeError);
  CHECK_THROWS_AS((void)matmul(zeros({2, 3}, {.dtype = i64}), zeros({3, 2}, {.dtype = i64})), DTypeError);
  CHECK_THROWS_AS((void)matmul(zeros({2, 3}, {.dtype = f32}), zeros({3, 2}, {.dtype = f64})), DTypeError);
}
