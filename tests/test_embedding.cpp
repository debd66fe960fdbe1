// embedding / embedding_backward and nn::Embedding: values against a naive lookup loop,
// gradients against a naive scatter-add loop, padding_idx, repeated indices, thread
// independence, errors, and PyTorch's initialisation.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "tapegrad.hpp"
#include "test_util.hpp"

using namespace tg;
using test_util::same_bits;

namespace {

constexpr TensorOptions kF64{.dtype = f64};

Tensor indices_of(const std::vector<std::int64_t>& v, const Shape& shape) { return from_vector(v, shape); }

// out[i, :] = w[idx[i], :], by hand.
std::vector<double> naive_lookup(const std::vector<std::int64_t>& idx, const std::vector<double>& w, std::int64_t d) {
  std::vector<double> out;
  for (const std::int64_t i : idx) {
    for (std::int64_t j = 0; j < d; ++j) out.push_back(w[static_cast<std::size_t>(i * d + j)]);
  }
  return out;
}

// dw[idx[i], :] += g[i, :] in order of i, the padding row left zero.
std::vector<double> naive_scatter_add(const std::vector<std::int64_t>& idx, const std::vector<double>& g,
                                      std::int64_t v, std::int64_t d, std::int64_t padding_idx = -1) {
  std::vector<double> dw(static_cast<std::size_t>(v * d), 0.0);
  for (std::size_t i = 0; i < idx.size(); ++i) {
    if (idx[i] == padding_idx) continue;
    for (std::int64_t j = 0; j < d; ++j) {
      dw[static_cast<std::size_t>(idx[i] * d + j)] += g[i * static_cast<std::size_t>(d) + static_cast<std::size_t>(j)];
    }
  }
  return dw;
}

}  // namespace

TEST_CASE("embedding: values are the rows a naive loop looks up, of shape indices.shape + [D]") {
  Generator gen(11);
  const std::int64_t v = 7, d = 4;
  const Tensor w = randn({v, d}, gen, kF64);
  const std::vector<std::int64_t> idx{3, 0, 6, 3, 3, 1, 5, 2, 0, 6, 4, 4, 1, 2, 5};
  const Tensor y = embedding(indices_of(idx, {3, 5}), w);
  CHECK(y.shape() == Shape{3, 5, d});
  CHECK(y.to_vector() == naive_lookup(idx, w.to_vector(), d));
  // A 0-d index gives one row [D]; float32 weights give float32 rows.
  const Tensor w32 = w.clone_as(f32);
  const Tensor one = embedding(indices_of({5}, {}), w32);
  CHECK(one.shape() == Shape{d});
  CHECK(one.dtype() == f32);
  CHECK(one.to_vector() == naive_lookup({5}, w32.to_vector(), d));
  // A transposed (non-contiguous) weight gives the same rows as its contiguous copy.
  const Tensor wt = transpose(randn({d, v}, gen, kF64), 0, 1);
  CHECK(embedding(indices_of(idx, {15}), wt).to_vector() == naive_lookup(idx, wt.contiguous().to_vector(), d));
}

TEST_CASE("embedding: the weight gradient is a naive scatter-add, repeated indices accumulating") {
  Generator gen(12);
  const std::int64_t v = 6, d = 3;
  const Tensor w = randn({v, d}, gen, {.dtype = f64, .requires_grad = true});
  const std::vector<std::int64_t> idx{1, 4, 1, 1, 0, 4, 5, 1};
  const Tensor g = randn({2, 4, d}, gen, kF64);
  sum(mul(embedding(indices_of(idx, {2, 4}), w), g)).backward();
  CHECK(w.grad().to_vector() == naive_scatter_add(idx, g.to_vector(), v, d));

  // By hand: row 2 picked three times with gradients 1, 2, 3 per entry sums to 6; rows never
  // picked get 0.
  const Tensor w2 = zeros({3, 1}, {.dtype = f64, .requires_grad = true});
  sum(mul(embedding(indices_of({2, 2, 2}, {3}), w2), from_vector(std::vector<double>{1.0, 2.0, 3.0}, {3, 1})))
      .backward();
  CHECK(w2.grad().to_vector() == std::vector<double>{0.0, 0.0, 6.0});

  // embedding_backward called directly agrees, and its empty case is zeros.
  CHECK(embedding_backward(g, indices_of(idx, {2, 4}), v).to_vector() == naive_scatter_add(idx, g.to_vector(), v, d));
  CHECK(embedding_backward(zeros({0, d}, kF64), indices_of({}, {0}), v).to_vector() ==
        std::vector<double>(static_cast<std::size_t>(v * d), 0.0));
}

TEST_CASE("embedding: padding_idx rows are looked up but get no gradient; negative counts from V") {
  Generator gen(13);
  const std::int64_t v = 5, d = 2;
  const std::vector<std::int64_t> idx{4, 2, 4, 0, 3};
  const Tensor g = randn({5, d}, gen, kF64);
  for (const std::int64_t pad : {std::int64_t{4}, std::int64_t{-1}}) {
    CAPTURE(pad);
    const Tensor w = randn({v, d}, gen, {.dtype = f64, .requires_grad = true});
    const Tensor y = embedding(indices_of(idx, {5}), w, pad);
    CHECK(y.to_vector() == naive_lookup(idx, w.to_vector(), d));  // row 4 still read
    sum(mul(y, g)).backward();
    CHECK(w.grad().to_vector() == naive_scatter_add(idx, g.to_vector(), v, d, 4));
  }
  // Its double backward: the gradient of embedding_backward w.r.t. its grad input is a
  // lookup with the padding row masked.
  const Tensor gg = randn({2, d}, gen, {.dtype = f64, .requires_grad = true});
  const auto report = gradgradcheck(
      [](const std::vector<Tensor>& in) {
        return embedding_backward(in[0], indices_of({1, 3}, {2}), 4, 1);
      },
      {gg});
  CHECK_MESSAGE(report.passed, report.message);
}

TEST_CASE("embedding: forward and backward give the same bits for 1 and 2 threads") {
  // The benchmark's sizes: vocabulary 1000, D 128, 16 x 128 tokens, many repeats.
  Generator gen(14);
  const Tensor idx = randint(0, 1000, {16, 128}, gen);
  const Tensor w = randn({1000, 128}, gen);
  const Tensor g = randn({16, 128, 128}, gen);
  const auto run = [&](int threads) {
    set_num_threads(threads);
    Tensor wr = w.detach();
    wr.set_requires_grad(true);
    const Tensor y = embedding(idx, wr, 7);
    sum(mul(y, g)).backward();
    set_num_threads(0);
    return std::vector<Tensor>{y, wr.grad()};
  };
  const auto one = run(1), two = run(2);
  CHECK(same_bits(one[0], two[0]));
  CHECK(same_bits(one[1], two[1]));
  std::vector<double> g64;
  for (const float x : g.to_vector_as<float>()) g64.push_back(x);
  const auto expected = naive_scatter_add(idx.to_vector_as<std::int64_t>(), g64, 1000, 128, 7);
  const auto got = one[1].to_vector();
  double worst = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - expected[i]));
  CHECK(worst < 1e-4);
}

TEST_CASE("embedding: errors name the op and the bad value") {
  const Tensor w = zeros({3, 2}, kF64);
  try {
    (void)embedding(indices_of({0, 2, 3}, {3}), w);
    FAIL("no error");
  } catch (const IndexError& e) {
    CHECK(std::string(e.what()) ==
          "embedding: index 3 (at flat position 2 of indices [3]) is out of range for 3 embeddings");
  }
  CHECK_THROWS_AS(embedding(indices_of({-1}, {1}), w), IndexError);
  CHECK_THROWS_AS(embedding(indices_of({0}, {1}), w, 3), IndexError);
  CHECK_THROWS_AS(embedding(indices_of({0}, {1}), w, -4), IndexError);
  CHECK_THROWS_AS(embedding(tensor({0.0}, kF64), w), DTypeError);
  CHECK_THROWS_AS(embedding(indices_of({0}, {1}), zeros({3}, kF64)), ShapeError);
  CHECK_THROWS_AS(embedding(indices_of({0}, {1}), zeros({3, 2}, {.dtype = DType::Int64})), DTypeError);
  CHECK_THROWS_AS(embedding_backward(zeros({2, 2}, kF64), indices_of({0, 1, 2}, {3}), 3), ShapeError);
  CHECK_THROWS_AS(embedding_backward(zeros({1, 2}, kF64), indices_of({5}, {1}), 3), IndexError);
}

TEST_CASE("nn::Embedding: N(0, 1) weights from the generator, the padding row zeroed, describe") {
  Generator a(21), b(21);
  nn::Embedding emb(10, 4, {.padding_idx = -2}, a);
  CHECK(emb.weight.shape() == Shape{10, 4});
  CHECK(emb.weight.dtype() == f32);
  CHECK(emb.padding_idx() == 8);
  CHECK(emb.describe() == "Embedding(10, 4, padding_idx=8)");
  CHECK(nn::Embedding(3, 2).describe() == "Embedding(3, 2)");
  // The same normals the generator draws, except the padding row.
  std::vector<double> expected = randn({10, 4}, b, kF64).clone_as(f32).to_vector();
  for (std::size_t j = 32; j < 36; ++j) expected[j] = 0.0;
  CHECK(emb.weight.to_vector() == expected);
  CHECK(emb.named_parameters().size() == 1);

  const Tensor idx = indices_of({8, 1, 8}, {1, 3});
  const Tensor y = emb(idx);
  CHECK(y.shape() == Shape{1, 3, 4});
  sum(y).backward();
  const auto grad = emb.weight.grad().to_vector();
  CHECK(grad[4] == 1.0);   // row 1 once
  CHECK(grad[32] == 0.0);  // the padding row, twice, but no gradient
  CHECK_THROWS_AS(nn::Embedding(3, 2, {.padding_idx = 3}), IndexError);
  CHECK_THROWS_AS(nn::Embedding(0, 2), ValueError);
}
