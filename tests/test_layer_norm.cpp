// layer_norm against a long-double loop, its fused first-order backward against finite
// differences and against the same rule written with ops (create_graph), the row kernels'
// bits on every SIMD path, layout and thread count, errors, and nn::LayerNorm.
#include <xmmintrin.h>

#include "attention_test_util.hpp"

using namespace tg;
using namespace attention_test;

namespace {

// The first-order gradients {dx, dweight, dbias} of layer_norm over rows of n elements, in
// long double, from the rule dx = rstd (dy w - mean(dy w) - x_hat mean(dy w x_hat)); then the
// sums of the parameter gradients' terms' magnitudes, sum |dy x_hat| and sum |dy| per column.
std::vector<std::vector<long double>> naive_layer_norm_grads(const std::vector<double>& x,
                                                             const std::vector<double>& dy,
                                                             const std::vector<double>& w, std::int64_t n, double eps) {
  std::vector<long double> dx(x.size()), dw(static_cast<std::size_t>(n)), db(static_cast<std::size_t>(n));
  std::vector<long double> dw_terms(static_cast<std::size_t>(n)), db_terms(static_cast<std::size_t>(n));
  std::vector<long double> x_hat(static_cast<std::size_t>(n)), dyh(static_cast<std::size_t>(n));
  for (std::size_t r = 0; r * n < x.size(); ++r) {
    long double mean = 0, var = 0, mean_dyh = 0, mean_dyh_xhat = 0;
    for (std::int64_t j = 0; j < n; ++j) mean += x[r * n + j];
    mean /= n;
    for (std::int64_t j = 0; j < n; ++j) var += (x[r * n + j] - mean) * (x[r * n + j] - mean);
    const long double rstd = 1 / std::sqrt(var / n + eps);
    for (std::int64_t j = 0; j < n; ++j) {
      x_hat[j] = (x[r * n + j] - mean) * rstd;
      dyh[j] = static_cast<long double>(dy[r * n + j]) * w[j];
      mean_dyh += dyh[j] / n;
      mean_dyh_xhat += dyh[j] * x_hat[j] / n;
      dw[j] += dy[r * n + j] * x_hat[j];
      db[j] += dy[r * n + j];
      dw_terms[j] += std::fabs(dy[r * n + j] * x_hat[j]);
      db_terms[j] += std::fabs(dy[r * n + j]);
    }
    for (std::int64_t j = 0; j < n; ++j) dx[r * n + j] = rstd * (dyh[j] - mean_dyh - x_hat[j] * mean_dyh_xhat);
  }
  return {dx, dw, db, dw_terms, db_terms};
}

}  // namespace

TEST_CASE("layer_norm matches a long-double loop, with and without affine, float64 and float32") {
  Generator gen(71);
  const Tensor x = rand64({3, 2, 5}, gen, false) * 3.0 + 0.5;
  const Tensor w = rand64({2, 5}, gen, false), b = rand64({2, 5}, gen, false);
  const std::vector<long double> affine = naive_layer_norm(x.to_vector(), 10, w.to_vector(), b.to_vector(), 1e-5);
  check_close(layer_norm(x, {2, 5}, w, b), affine, 1e-13);
  check_close(layer_norm(x.to(DType::Float32), {2, 5}, w.to(DType::Float32), b.to(DType::Float32)), affine, 2e-6);
  check_close(layer_norm(x, {5}, {}, {}, 0.25), naive_layer_norm(x.to_vector(), 5, {}, {}, 0.25), 1e-13);
  check_close(layer_norm(x, {5}, w.reshape({10}).slice(0, 0, 5)),
              naive_layer_norm(x.to_vector(), 5, slice(w.reshape({10}), 0, 0, 5).to_vector(), {}, 1e-5), 1e-13);
}

TEST_CASE("layer_norm gradients: gradcheck and gradgradcheck without affine, weight only and bias only") {
  Generator gen(72);
  const Tensor x = rand64({3, 4}, gen), w = rand64({4}, gen), b = rand64({4}, gen);
  CHECK(gradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], {4}); }, {x}).passed);
  CHECK(gradgradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], {4}); }, {x}).passed);
  CHECK(gradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], {4}, in[1]); }, {x, w}).passed);
  CHECK(gradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], {4}, {}, in[1]); }, {x, b}).passed);
  CHECK(gradgradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], {4}, in[1]); }, {x, w}).passed);
}

TEST_CASE("layer_norm's fused backward equals the rule written with ops (the create_graph path)") {
  Generator gen(73);
  const Tensor x = rand64({6, 3, 7}, gen), w = rand64({3, 7}, gen), b = rand64({3, 7}, gen);
  const Tensor g = rand64({6, 3, 7}, gen, false);
  const Tensor y = layer_norm(x, {3, 7}, w, b);
  const std::vector<Tensor> fused = grad({y}, {x, w, b}, {g}, {.retain_graph = true});
  const std::vector<Tensor> with_ops = grad({y}, {x, w, b}, {g}, {.create_graph = true});
  for (std::size_t i = 0; i < 3; ++i) CHECK(allclose(fused[i], with_ops[i].detach(), 1e-12, 1e-12));
  // dbias is the plain sum of g over rows; dweight the sum of g * x_hat.
  CHECK(allclose(fused[2], sum(g, {0}), 1e-12, 1e-12));
}

TEST_CASE("layer_norm forward and backward give the same bits for 1 and 2 threads") {
  Generator gen(74);
  const Tensor x = uniform({256, 300}, -2.0, 2.0, gen).set_requires_grad(true);
  const Tensor w = uniform({300}, 0.5, 1.5, gen).set_requires_grad(true);
  const Tensor b = uniform({300}, -1.0, 1.0, gen).set_requires_grad(true);
  const Tensor g = randn({256, 300}, gen);
  check_thread_independent([&] {
    const Tensor y = layer_norm(x, {300}, w, b);
    std::vector<Tensor> out = grad({y}, {x, w, b}, {g});
    out.push_back(y);
    return out;
  });
}

TEST_CASE("layer_norm over rows longer than the kernel's lanes: forward and gradients against long double") {
  Generator gen(76);
  // 300 = 18 groups of 16 lanes and 12 more; a mean far from 0 checks the centred variance.
  const Tensor x = (rand64({40, 300}, gen, false) * 2.0 + 7.0).set_requires_grad(true);
  const Tensor w = rand64({300}, gen), b = rand64({300}, gen), g = rand64({40, 300}, gen, false);
  const std::vector<double> xv = x.to_vector(), wv = w.to_vector(), gv = g.to_vector();
  check_close(layer_norm(x, {300}, w, b), naive_layer_norm(xv, 300, wv, b.to_vector(), 1e-5), 1e-13);
  const Tensor x32 = x.detach().to(DType::Float32);
  check_close(
      layer_norm(x32, {300}, w.to(DType::Float32), b.to(DType::Float32)),
      naive_layer_norm(x32.to_vector(), 300, w.to(DType::Float32).to_vector(), b.to(DType::Float32).to_vector(), 1e-5),
      2e-6);
  const std::vector<Tensor> grads = grad({layer_norm(x, {300}, w, b)}, {x, w, b}, {g});
  const std::vector<std::vector<long double>> want = naive_layer_norm_grads(xv, gv, wv, 300, 1e-5);
  for (std::size_t i = 0; i < 3; ++i) {
    INFO("gradient ", i);
    check_close(grads[i], want[i], 1e-12);
  }
}

TEST_CASE("layer_norm forward and backward: same bits on every SIMD path, layout and thread count") {
  Generator gen(77);
  // n = 300 runs whole groups of lanes and a tail; n = 7 the tail only. 201 rows: the
  // backward's pairs of rows end on a lone row (blocks of 54 rows for n = 300, one for n = 7).
  for (const std::int64_t n : {300, 7}) {
    for (const DType dtype : {DType::Float32, DType::Float64}) {
      INFO("n ", n, ", dtype ", dtype_name(dtype));
      const Tensor x = uniform({201, n}, -2.0, 3.0, gen, {.dtype = dtype});
      const Tensor x_t = x.t().contiguous().t();  // the same values, strided
      REQUIRE_FALSE(x_t.is_contiguous());
      const Tensor w = uniform({n}, 0.5, 1.5, gen, {.dtype = dtype});
      const Tensor b = uniform({n}, -1.0, 1.0, gen, {.dtype = dtype});
      const Tensor g = randn({201, n}, gen, {.dtype = dtype});
      // y and {dx, dweight, dbias} with affine, y and dx without.
      const auto run = [&](const Tensor& input) {
        const Tensor xi = input.detach().set_requires_grad(true), wi = w.detach().set_requires_grad(true);
        const Tensor bi = b.detach().set_requires_grad(true);
        const Tensor y = layer_norm(xi, {n}, wi, bi), plain = layer_norm(xi, {n});
        std::vector<Tensor> out = grad({y}, {xi, wi, bi}, {g});
        out.push_back(y);
        out.push_back(plain);
        out.push_back(grad({plain}, {xi}, {g})[0]);
        return out;
      };
      check_same_bits_everywhere(run, {x, x_t});
    }
  }
}

TEST_CASE("layer_norm's float32 parameter gradients over many rows: a few roundings per term, none per row") {
  // 4097 rows (blocks of 682 rows, summed in pairs of rows, and a last block of 5 ending on a
  // lone row) of 24 elements (a group of 16 lanes and a tail). dy near 1: the bias gradient
  // adds 4097 terms near 1, and a float running sum rounds at each addition by up to 2^-24 of
  // the sum so far (float sums over each block alone, then double: off by 5.7e-4 to 9.4e-4,
  // against a bound of 4.9e-4 here); summed in double, each term's error is the float
  // rounding of its pair, at most 2^-24 of it.
  Generator gen(78);
  const std::int64_t rows = 4097, n = 24;
  const Tensor x = uniform({rows, n}, -2.0, 3.0, gen, {.dtype = DType::Float32}).set_requires_grad(true);
  const Tensor w = uniform({n}, 0.5, 1.5, gen, {.dtype = DType::Float32}).set_requires_grad(true);
  const Tensor b = zeros({n}, {.dtype = DType::Float32}).set_requires_grad(true);
  const Tensor g = uniform({rows, n}, -1e-3, 1e-3, gen, {.dtype = DType::Float32}) + 1.0;
  const std::vector<Tensor> grads = grad({layer_norm(x, {n}, w, b)}, {w, b}, {g});
  const std::vector<std::vector<long double>> want =
      naive_layer_norm_grads(x.detach().to_vector(), g.to_vector(), w.detach().to_vector(), n, 1e-5);
  const std::vector<double> dw = grads[0].to_vector(), db = grads[1].to_vector();
  const long double u = std::ldexp(1.0L, -24);
  for (std::int64_t j = 0; j < n; ++j) {
    INFO("column ", j);
    // dweight's terms carry x_hat's own roundings (a few, in float) before the pair's.
    CHECK(std::fabs(dw[j] - want[1][j]) <= 8 * u * want[3][j]);
    // dbias's terms are exact: the pair's rounding and the result's.
    CHECK(std::fabs(db[j] - want[2][j]) <= 2 * u * want[4][j]);
  }
}

TEST_CASE("layer_norm's row sums keep a lane's -0.0 under flush-to-zero on every SIMD path") {
  // Rows of 33 float64 values: lanes 0-15 (element j in lane j % 16) each add a and
  // -(a + tiny), whose exact sum -tiny is subnormal, flushed to -0.0 under FTZ; element 32
  // is the tail, -0.0, in lane 0. Every lane ends at -0.0, so the row's mean is -0.0 and
  // y[32] = (-0.0 - mean) * rstd is +0.0. A kernel that pads the lanes past the tail with
  // +0.0 turns them to +0.0, the mean to +0.0, and y[32] to -0.0.
  const double a = std::ldexp(1.0, -1020), tiny = std::ldexp(1.0, -1070);
  std::vector<double> row(33);
  for (int j = 0; j < 16; ++j) {
    row[j] = a;
    row[j + 16] = -(a + tiny);
  }
  row[32] = -0.0;
  const Tensor x = from_vector(row, {1, 33}, {.dtype = DType::Float64});
  const unsigned saved_csr = _mm_getcsr();
  const kernels::SimdPath saved_path = kernels::simd_path();
  set_num_threads(1);
  _mm_setcsr(saved_csr | 0x8000);  // FTZ
  kernels::set_simd_path(kernels::SimdPath::portable);
  const Tensor want = layer_norm(x, {33});
  std::vector<Tensor> got;
  for (const kernels::SimdPath path : {kernels::SimdPath::avx2, kernels::SimdPath::avx512}) {
    if (path > kernels::best_simd_path()) continue;
    kernels::set_simd_path(path);
    got.push_back(layer_norm(x, {33}));
  }
  _mm_setcsr(saved_csr);
  kernels::set_simd_path(saved_path);
  set_num_threads(0);
  CHECK_FALSE(std::signbit(want.value({0, 32})));  // the flushed lanes were seen
  for (const Tensor& y : got) CHECK(same_bits(y, want));
}

TEST_CASE("layer_norm errors name the op and the shapes") {
  const Tensor x = zeros({2, 3, 4});
  CHECK(error_of<ShapeError>([&] { layer_norm(x, {3}); }) ==
        "layer_norm: input shape [2, 3, 4] does not end in normalized_shape [3]");
  CHECK(error_of<ShapeError>([&] { layer_norm(x, {4}, ones({3})); }) ==
        "layer_norm: weight has shape [3], expected normalized_shape [4]");
  CHECK(error_of<DTypeError>([&] { layer_norm(x, {4}, {}, zeros({4}, {.dtype = DType::Float64})); }) ==
        "layer_norm: bias has dtype float64, input float32");
  CHECK(error_of<ShapeError>([&] { layer_norm(x, {}); }).find("normalized_shape must have at least one dim") !=
        std::string::npos);
}

TEST_CASE("nn::LayerNorm: weight ones and bias zeros, named as PyTorch; no parameters without affine") {
  nn::LayerNorm ln({2, 3}, {.eps = 1e-3});
  const auto named = ln.named_parameters();
  REQUIRE(named.size() == 2);
  CHECK(named[0].first == "weight");
  CHECK(named[1].first == "bias");
  CHECK(equal(ln.weight, ones({2, 3})));
  CHECK(equal(ln.bias, zeros({2, 3})));
  Generator gen(75);
  const Tensor x = uniform({4, 2, 3}, -1.0, 1.0, gen);
  CHECK(equal(ln(x), layer_norm(x, {2, 3}, ln.weight, ln.bias, 1e-3)));
  nn::LayerNorm plain({3}, {.elementwise_affine = false});
  CHECK(plain.parameters().empty());
  CHECK(equal(plain(x), layer_norm(x, {3})));
  CHECK(ln.describe() == "LayerNorm(normalized_shape=[2, 3], eps=0.001, elementwise_affine=true)");
}
