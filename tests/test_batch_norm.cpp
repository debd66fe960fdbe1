// batch_norm against a long-double loop (output and running statistics), its fused
// first-order backward against the long-double rule and against autodiff through the
// composition, with and without affine, float32 and float64, odd spatial sizes that leave
// partial lane groups and chunks, the same bits on every SIMD path, layout and thread count,
// errors, and empty batches.
#include "attention_test_util.hpp"

using namespace tg;
using namespace attention_test;

namespace {

// x [N, C, S] (flat, row-major) per channel c: mean, biased variance, y, and the first-order
// gradients for output gradient dy, all in long double from the formulas of batch_norm.cpp.
struct NaiveBatchNorm {
  std::vector<long double> mean, var, y, dx, dw, db;
};

NaiveBatchNorm naive_batch_norm(const std::vector<double>& x, const std::vector<double>& dy,
                                const std::vector<double>& w, const std::vector<double>& b, std::int64_t n,
                                std::int64_t c, std::int64_t s, double eps) {
  NaiveBatchNorm r;
  const auto at = [&](std::int64_t i, std::int64_t ch, std::int64_t j) { return (i * c + ch) * s + j; };
  const long double m = static_cast<long double>(n * s);
  r.y.resize(x.size());
  r.dx.resize(x.size());
  for (std::int64_t ch = 0; ch < c; ++ch) {
    long double mean = 0, var = 0, sum_dy = 0, sum_dy_xhat = 0;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < s; ++j) mean += x[at(i, ch, j)];
    mean /= m;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < s; ++j) var += (x[at(i, ch, j)] - mean) * (x[at(i, ch, j)] - mean);
    var /= m;
    const long double rstd = 1 / std::sqrt(var + eps);
    const long double wc = w.empty() ? 1 : w[ch], bc = b.empty() ? 0 : b[ch];
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < s; ++j) {
        const auto p = at(i, ch, j);
        const long double x_hat = (x[p] - mean) * rstd;
        r.y[p] = x_hat * wc + bc;
        sum_dy += dy[p];
        sum_dy_xhat += dy[p] * x_hat;
      }
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < s; ++j) {
        const auto p = at(i, ch, j);
        r.dx[p] = wc * rstd * (dy[p] - sum_dy / m - (x[p] - mean) * rstd * sum_dy_xhat / m);
      }
    r.mean.push_back(mean);
    r.var.push_back(var);
    r.dw.push_back(sum_dy_xhat);
    r.db.push_back(sum_dy);
  }
  return r;
}

}  // namespace

TEST_CASE("batch_norm matches a long-double loop: output, gradients and running statistics") {
  Generator gen(81);
  // S = 37: two whole lane groups and a remainder; [3, 4, 37] has 111 values per channel.
  for (const Shape& shape : {Shape{3, 4, 37}, Shape{5, 2, 1}, Shape{2, 3, 1100}}) {
    CAPTURE(shape);
    const std::int64_t n = shape[0], c = shape[1], s = shape[2];
    const Tensor x = rand64(shape, gen) * 3.0 + 0.75;
    const Tensor w = rand64({c}, gen), b = rand64({c}, gen);
    const Tensor dy = rand64(shape, gen, false);
    const Tensor running_mean = full({c}, 0.5, {.dtype = DType::Float64});
    const Tensor running_var = full({c}, 2.0, {.dtype = DType::Float64});
    const NaiveBatchNorm ref =
        naive_batch_norm(x.to_vector(), dy.to_vector(), w.to_vector(), b.to_vector(), n, c, s, 1e-5);
    const Tensor y = batch_norm(x, w, b, running_mean, running_var, 0.25);
    check_close(y, ref.y, 1e-12);
    std::vector<long double> want_mean, want_var;
    for (std::int64_t ch = 0; ch < c; ++ch) {
      want_mean.push_back(0.75L * 0.5L + 0.25L * ref.mean[ch]);
      want_var.push_back(0.75L * 2.0L + 0.25L * ref.var[ch] * (n * s) / (n * s - 1));
    }
    check_close(running_mean, want_mean, 1e-13);
    check_close(running_var, want_var, 1e-13);
    const std::vector<Tensor> grads = tg::grad({sum(y * dy)}, {x, w, b});
    check_close(grads[0], ref.dx, 1e-11);
    check_close(grads[1], ref.dw, 1e-11);
    check_close(grads[2], ref.db, 1e-11);

    // float32 within a few roundings of the loop.
    const Tensor x32 = x.detach().to(DType::Float32).set_requires_grad(true);
    const Tensor w32 = w.detach().to(DType::Float32).set_requires_grad(true);
    const Tensor y32 = batch_norm(x32, w32, b.detach().to(DType::Float32));
    check_close(y32, ref.y, 2e-5);
    const std::vector<Tensor> g32 = tg::grad({sum(y32 * dy.to(DType::Float32))}, {x32, w32});
    check_close(g32[0], ref.dx, 2e-4);
    check_close(g32[1], ref.dw, 2e-4 * std::sqrt(static_cast<double>(n * s)));
  }
}

TEST_CASE("batch_norm without affine, weight only, and its recorded backward against the composition") {
  Generator gen(82);
  const Tensor x = rand64({4, 3, 2, 3}, gen), w = rand64({3}, gen);
  const Tensor dy = rand64({4, 3, 2, 3}, gen, false);
  const NaiveBatchNorm plain = naive_batch_norm(x.to_vector(), dy.to_vector(), {}, {}, 4, 3, 6, 1e-5);
  check_close(batch_norm(x), plain.y, 1e-12);
  check_close(tg::grad({sum(batch_norm(x) * dy)}, {x})[0], plain.dx, 1e-11);
  const NaiveBatchNorm weighted = naive_batch_norm(x.to_vector(), dy.to_vector(), w.to_vector(), {}, 4, 3, 6, 0.5);
  check_close(batch_norm(x, w, {}, {}, {}, 0.1, 0.5), weighted.y, 1e-12);
  // create_graph: the backward runs as ops, and its gradient is the fused one.
  const std::vector<Tensor> recorded =
      tg::grad({sum(batch_norm(x, w, {}, {}, {}, 0.1, 0.5) * dy)}, {x, w}, {}, {.create_graph = true});
  check_close(recorded[0], weighted.dx, 1e-11);
  check_close(recorded[1], weighted.dw, 1e-11);
  CHECK(gradgradcheck([](const std::vector<Tensor>& in) { return batch_norm(in[0], in[1]); }, {x, w}).passed);
  CHECK(gradcheck([](const std::vector<Tensor>& in) { return batch_norm(in[0]); }, {x}).passed);
}

TEST_CASE("batch_norm forward and backward: same bits on every SIMD path, layout and thread count") {
  Generator gen(83);
  // spatial 1100: a whole chunk of 1,024, then whole lane groups and a tail; spatial 7: a
  // tail only.
  for (const std::int64_t spatial : {1100, 7}) {
    for (const DType dtype : {DType::Float32, DType::Float64}) {
      INFO("spatial ", spatial, ", dtype ", dtype_name(dtype));
      const Tensor x = uniform({3, 5, spatial}, -2.0, 3.0, gen, {.dtype = dtype});
      // The same values laid out as [N, S, C] and viewed as [N, C, S].
      const Tensor relaid = permute(permute(x, {0, 2, 1}).contiguous(), {0, 2, 1});
      REQUIRE_FALSE(relaid.is_contiguous());
      const Tensor w = uniform({5}, 0.5, 1.5, gen, {.dtype = dtype});
      const Tensor b = uniform({5}, -1.0, 1.0, gen, {.dtype = dtype});
      const Tensor g = randn({3, 5, spatial}, gen, {.dtype = dtype});
      // y and {dx, dweight, dbias} with affine, y and dx without.
      const auto run = [&](const Tensor& input) {
        const Tensor xi = input.detach().set_requires_grad(true), wi = w.detach().set_requires_grad(true);
        const Tensor bi = b.detach().set_requires_grad(true);
        const Tensor y = batch_norm(xi, wi, bi), plain = batch_norm(xi);
        std::vector<Tensor> out = tg::grad({y}, {xi, wi, bi}, {g});
        out.push_back(y);
        out.push_back(plain);
        out.push_back(tg::grad({plain}, {xi}, {g})[0]);
        return out;
      };
      check_same_bits_everywhere(run, {x, relaid});
    }
  }
}

TEST_CASE("batch_norm: empty batches, and errors naming the op and the shapes") {
  const Tensor empty_batch = zeros({0, 3, 4}, {.dtype = DType::Float64}).set_requires_grad(true);
  const Tensor w = ones({3}, {.dtype = DType::Float64}).set_requires_grad(true);
  const Tensor y = batch_norm(empty_batch, w);
  CHECK(y.shape() == Shape{0, 3, 4});
  const std::vector<Tensor> g = tg::grad({sum(y)}, {empty_batch, w});
  CHECK(g[0].shape() == Shape{0, 3, 4});
  check_close(g[1], std::vector<long double>{0, 0, 0}, 0.0);

  const Tensor x = zeros({2, 3, 4});
  CHECK(error_of<ShapeError>([&] { batch_norm(x, ones({2})); }) ==
        "batch_norm: weight has shape [2], expected [3] for input [2, 3, 4]");
  CHECK(error_of<ShapeError>([&] { batch_norm(zeros({3})); }) ==
        "batch_norm: input must have shape [N, C, ...], got [3]");
  CHECK(error_of<DTypeError>([&] { batch_norm(x, ones({3}, {.dtype = DType::Float64})); }) ==
        "batch_norm: weight has dtype float64, input float32");
  CHECK(error_of<ValueError>([&] { batch_norm(x, {}, {}, zeros({3})); }) ==
        "batch_norm: running_mean and running_var go together (one of them is undefined)");
  CHECK(error_of<ValueError>([&] {
          batch_norm(zeros({1, 3, 1}), {}, {}, zeros({3}), ones({3}));
        }) == "batch_norm: updating running statistics needs more than 1 value per channel, got 1 (batch x spatial)");
  CHECK(error_of<ValueError>([&] { batch_norm(x, {}, {}, zeros({3}).set_requires_grad(true), ones({3})); }) ==
        "batch_norm: running_mean is a buffer and must not require grad");
  CHECK(error_of<ValueError>([&] { batch_norm(x, {}, {}, {}, {}, 1.5); }) ==
        "batch_norm: momentum must lie in [0, 1], got 1.5");
  CHECK_THROWS_AS(batch_norm(x, {}, {}, {}, {}, 0.1, -1.0), ValueError);
}
