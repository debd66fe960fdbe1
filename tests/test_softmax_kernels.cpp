// Softmax / log-softmax / cross-entropy kernels against naive double-precision loops (rows,
// columns along a middle dim, one long row split in blocks, non-contiguous inputs, extreme
// values, -inf and NaN), their thread-count independence, and the vectorised float exp
// (every SIMD path gives the same bits, within 1 ulp of the exact value).
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "ops/kernels/math/vec_exp.hpp"
#include "ops/kernels/math/vec_math.hpp"
#include "ops/kernels/simd/simd_path.hpp"
#include "tapegrad.hpp"
#include "test_util.hpp"

using namespace tg;
using test_util::same_bits;

namespace {

// Naive softmax along `dim` of a contiguous row-major tensor, in double.
std::vector<double> naive_softmax(const std::vector<double>& x, const Shape& shape, std::int64_t dim, bool log) {
  std::int64_t outer = 1, n = 1, inner = 1;
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(shape.size()); ++i) {
    (i < dim ? outer : i == dim ? n : inner) *= shape[static_cast<std::size_t>(i)];
  }
  std::vector<double> y(x.size());
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t c = 0; c < inner; ++c) {
      const auto at = [&](std::int64_t l) { return static_cast<std::size_t>((o * n + l) * inner + c); };
      double m = -std::numeric_limits<double>::infinity();
      for (std::int64_t l = 0; l < n; ++l) m = std::max(m, x[at(l)]);
      double s = 0.0;
      for (std::int64_t l = 0; l < n; ++l) s += std::exp(x[at(l)] - m);
      for (std::int64_t l = 0; l < n; ++l) y[at(l)] = log ? (x[at(l)] - m) - std::log(s) : std::exp(x[at(l)] - m) / s;
    }
  }
  return y;
}

void check_close(const std::vector<double>& got, const std::vector<double>& want, double rtol, double atol) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i]) || std::isinf(want[i])) {
      REQUIRE_MESSAGE((std::isnan(want[i]) ? std::isnan(got[i]) : got[i] == want[i]), "element ", i, ": got ", got[i]);
    } else {
      REQUIRE_MESSAGE(std::abs(got[i] - want[i]) <= atol + rtol * std::abs(want[i]), "element ", i, ": got ", got[i],
                      ", want ", want[i]);
    }
  }
}

}  // namespace

TEST_CASE("softmax and log_softmax match naive double loops on every path") {
  Generator gen(31);
  struct Case {
    Shape shape;
    std::int64_t dim;
  };
  const std::vector<Case> cases = {
      {{7, 13}, 1},       {{7, 13}, 0}, {{3, 5, 300}, 1},  // columns: more than one block of 256
      {{2, 40000}, 1},                                     // rows longer than a reduction block
      {{1, 70001}, 1},    {{50001}, 0},                    // one long row: split in blocks
      {{4, 3, 2, 5}, -2}, {{6}, 0},     {{1, 1}, 1},
  };
  for (const DType dtype : {f64, f32}) {
    const double rtol = dtype == f64 ? 1e-12 : 2e-5;
    for (const Case& c : cases) {
      for (const bool log : {false, true}) {
        INFO(fmt::format("{} dim {} {} {}", c.shape, c.dim, dtype_name(dtype), log ? "log_softmax" : "softmax"));
        const Tensor x = uniform(c.shape, -4.0, 4.0, gen, {.dtype = dtype});
        const Tensor y = log ? log_softmax(x, c.dim) : softmax(x, c.dim);
        const std::int64_t d = c.dim < 0 ? c.dim + static_cast<std::int64_t>(c.shape.size()) : c.dim;
        // log-softmax values reach about -log(n) - 8: an absolute floor on the tolerance.
        check_close(y.to_vector(), naive_softmax(x.to_vector(), c.shape, d, log), rtol, log ? rtol * 16 : 0.0);
      }
    }
  }
  // A 0-d tensor: softmax 1, log_softmax 0.
  CHECK(softmax(scalar_tensor(3.0), 0).item() == 1.0);
  CHECK(log_softmax(scalar_tensor(3.0), -1).item() == 0.0);
}

TEST_CASE("softmax of non-contiguous inputs, huge logits, -inf and NaN") {
  Generator gen(32);
  const Tensor base = uniform({9, 6}, -2.0, 2.0, gen, {.dtype = f64});
  const Tensor xt = base.transpose(0, 1);  // [6, 9], strides (1, 6)
  const std::vector<double> xt_values = xt.contiguous().to_vector();
  check_close(softmax(xt, 1).to_vector(), naive_softmax(xt_values, {6, 9}, 1, false), 1e-13, 0.0);
  check_close(log_softmax(xt, 0).to_vector(), naive_softmax(xt_values, {6, 9}, 0, true), 1e-13, 1e-13);
  for (const DType dtype : {f32, f64}) {
    // Max subtraction: logits far beyond exp's range give finite, exact-looking results.
    const Tensor big = tensor({{1000.0, 1001.0, 999.0}, {-1000.0, -1000.0, -1000.0}}, {.dtype = dtype});
    const double e1 = std::exp(1.0), em1 = std::exp(-1.0), z = 1.0 + e1 + em1;
    check_close(softmax(big, 1).to_vector(), {1 / z, e1 / z, em1 / z, 1.0 / 3, 1.0 / 3, 1.0 / 3}, 1e-6, 0.0);
    check_close(log_softmax(big, 1).to_vector(),
                {-std::log(z), 1 - std::log(z), -1 - std::log(z), -std::log(3.0), -std::log(3.0), -std::log(3.0)}, 1e-6,
                1e-6);
    // -inf takes no mass; a NaN poisons its own row only.
    const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
    const Tensor special = tensor({{0.0, -inf, 0.0}, {1.0, nan, 2.0}, {0.5, 0.5, 0.5}}, {.dtype = dtype});
    const std::vector<double> s = softmax(special, 1).to_vector();
    CHECK(s[0] == doctest::Approx(0.5));
    CHECK(s[1] == 0.0);
    CHECK(s[2] == doctest::Approx(0.5));
    for (int j = 3; j < 6; ++j) CHECK(std::isnan(s[static_cast<std::size_t>(j)]));
    for (int j = 6; j < 9; ++j) CHECK(s[static_cast<std::size_t>(j)] == doctest::Approx(1.0 / 3));
    CHECK(log_softmax(special, 1).to_vector()[1] == -inf);
  }
}

TEST_CASE("softmax gives the same bits for 1 and 2 threads, and for a long row alone or among rows") {
  Generator gen(33);
  const Tensor rows = uniform({4096, 1000}, -5.0, 5.0, gen);
  const Tensor cols = uniform({1000, 2, 700}, -5.0, 5.0, gen);
  const Tensor row = uniform({1, 1 << 20}, -5.0, 5.0, gen);
  for (const bool log : {false, true}) {
    const auto run = [log](const Tensor& x, std::int64_t dim) { return log ? log_softmax(x, dim) : softmax(x, dim); };
    for (const auto& [x, dim] : {std::pair{rows, 1}, std::pair{rows, 0}, std::pair{cols, 0}, std::pair{row, 1}}) {
      set_num_threads(1);
      const Tensor one = run(x, dim);
      set_num_threads(2);
      const Tensor two = run(x, dim);
      set_num_threads(0);
      CHECK(same_bits(one, two));
    }
    // The long-row path (one row, split in blocks) and the per-row path agree bit for bit.
    const Tensor both = cat({row, row}, 0);
    CHECK(same_bits(run(row, 1), slice(run(both, 1), 0, 1, 2).contiguous()));
  }
}

TEST_CASE("softmax_backward: the bits of its composition with ops, a naive double loop, 1 and 2 threads") {
  // One pass per row along the last dim must give exactly y * (g - sum(g * y, -1)) as the ops
  // compute it (their products, the sum op's fixed block order, then the difference and the
  // product), for short rows, rows over several of the sum's blocks and one long row; and
  // within rounding of the same formula in double.
  Generator gen(34);
  for (const Shape& shape : {Shape{64, 3, 37}, Shape{5, 40000}, Shape{1, 1 << 16}}) {
    INFO("shape " << fmt::format("{}", shape));
    const Tensor g = uniform(shape, -2.0, 2.0, gen);
    const Tensor y = softmax(uniform(shape, -5.0, 5.0, gen), -1);
    const Tensor composed = y * (g - sum(g * y, {-1}, true));
    set_num_threads(1);
    const Tensor one = softmax_backward(g, y, -1);
    set_num_threads(2);
    const Tensor two = softmax_backward(g, y, -1);
    set_num_threads(0);
    CHECK(same_bits(one, composed));
    CHECK(same_bits(two, composed));
    const std::int64_t n = shape.back(), rows = g.numel() / n;
    const std::vector<double> gv = g.to_vector(), yv = y.to_vector(), got = one.to_vector();
    double worst = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
      double s = 0;
      for (std::int64_t j = 0; j < n; ++j) s += gv[r * n + j] * yv[r * n + j];
      for (std::int64_t j = 0; j < n; ++j) {
        const std::size_t i = static_cast<std::size_t>(r * n + j);
        worst = std::max(worst, std::abs(got[i] - yv[i] * (gv[i] - s)));
      }
    }
    CHECK(worst < 1e-6);
  }
  // Along another dim the op is that composition.
  const Tensor g = uniform({4, 5, 6}, -2.0, 2.0, gen), y = softmax(uniform({4, 5, 6}, -5.0, 5.0, gen), 1);
  CHECK(same_bits(softmax_backward(g, y, 1), y * (g - sum(g * y, {1}, true))));
}

TEST_CASE("cross_entropy matches a naive double-precision log-sum-exp") {
  Generator gen(34);
  for (const DType dtype : {f64, f32}) {
    for (const double smoothing : {0.0, 0.1}) {
      const std::int64_t n = 37, c = 600;  // rows longer than the kernel's chunk of 256
      const Tensor logits = uniform({n, c}, -6.0, 6.0, gen, {.dtype = dtype});
      const Tensor target = randint(0, c, {n}, gen);
      const Tensor loss =
          nn::cross_entropy(logits, target, {.reduction = nn::Reduction::None, .label_smoothing = smoothing});
      const std::vector<double> x = logits.to_vector();
      const std::vector<std::int64_t> t = target.to_vector_as<std::int64_t>();
      std::vector<double> want;
      for (std::int64_t i = 0; i < n; ++i) {
        double m = -std::numeric_limits<double>::infinity(), z = 0.0, mean = 0.0;
        for (std::int64_t j = 0; j < c; ++j) m = std::max(m, x[static_cast<std::size_t>(i * c + j)]);
        for (std::int64_t j = 0; j < c; ++j) {
          z += std::exp(x[static_cast<std::size_t>(i * c + j)] - m);
          mean += x[static_cast<std::size_t>(i * c + j)] / static_cast<double>(c);
        }
        const double target_logit = x[static_cast<std::size_t>(i * c + t[static_cast<std::size_t>(i)])];
        want.push_back(m + std::log(z) - (1 - smoothing) * target_logit - smoothing * mean);
      }
      INFO(dtype_name(dtype).data(), " smoothing ", smoothing);
      check_close(loss.to_vector(), want, dtype == f64 ? 1e-13 : 2e-6, dtype == f64 ? 1e-13 : 2e-6);
    }
  }
}

TEST_CASE("float exp: within 1 ulp of the exact value, exact specials, the same bits on every SIMD path") {
  std::vector<float> x;
  for (double v = -110.0; v <= 95.0; v += 0.0137) x.push_back(static_cast<float>(v));
  // Every 1009th float of the range, so no stretch of inputs is skipped, and the inputs where
  // evaluating the polynomial in fewer dependent steps (a full Estrin scheme, two groupings
  // of it) first passes 1 ulp: 1.0046 ulp at -16.9724388, 1.0037 at 70.3719101.
  for (std::uint64_t bits = 0; bits <= 0xffffffffu; bits += 1009) {
    const float v = std::bit_cast<float>(static_cast<std::uint32_t>(bits));
    if (v >= -110.0f && v <= 95.0f) x.push_back(v);
  }
  const float inf = std::numeric_limits<float>::infinity();
  for (const float v : {0.0f, -0.0f, 1.0f, -1.0f, 88.72f, 88.73f, -87.33f, -103.97f, -104.0f, inf, -inf,
                        std::bit_cast<float>(0xc187c78eu), std::bit_cast<float>(0x428cbe6bu)})
    x.push_back(v);
  std::size_t misses = 0;
  float first_miss = 0.0f;
  for (const float v : x) {
    const float got = kernels::exp_float(v);
    const double exact = std::exp(static_cast<double>(v));
    const auto rounded = static_cast<float>(exact);
    // Overflow and underflow give exactly inf and 0; elsewhere the error is at most 1 ulp.
    const bool ok =
        std::isinf(rounded) || rounded == 0.0f
            ? got == rounded
            : std::abs(static_cast<double>(got) - exact) <= static_cast<double>(std::nextafter(rounded, inf) - rounded);
    if (!ok && misses++ == 0) first_miss = v;
  }
  CHECK_MESSAGE(misses == 0, misses, " inputs off by more than 1 ulp, the first x = ", first_miss, " (exp_float ",
                kernels::exp_float(first_miss), ", exact ", std::exp(static_cast<double>(first_miss)), ")");
  CHECK(std::isnan(kernels::exp_float(std::numeric_limits<float>::quiet_NaN())));
  CHECK(kernels::exp_float(0.0f) == 1.0f);
  // Every supported path, on lengths that leave vector remainders.
  std::vector<float> scalar(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) scalar[i] = kernels::exp_float(x[i]);
  const kernels::SimdPath saved = kernels::simd_path();
  for (const kernels::SimdPath path :
       {kernels::SimdPath::portable, kernels::SimdPath::avx2, kernels::SimdPath::avx512}) {
    if (path > kernels::best_simd_path()) continue;
    kernels::set_simd_path(path);
    for (const std::size_t n : {x.size(), std::size_t{13}, std::size_t{1}}) {
      std::vector<float> y(n);
      kernels::exp_floats(x.data(), y.data(), static_cast<std::int64_t>(n));
      CHECK_MESSAGE(std::memcmp(y.data(), scalar.data(), n * sizeof(float)) == 0, "path ",
                    std::string(to_string(path)));
    }
    std::vector<float> in_place(x.begin(), x.end());
    kernels::exp_floats(in_place.data(), in_place.data(), static_cast<std::int64_t>(in_place.size()));
    CHECK(std::memcmp(in_place.data(), scalar.data(), scalar.size() * sizeof(float)) == 0);
  }
  kernels::set_simd_path(saved);
}
