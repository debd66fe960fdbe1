// Helpers shared by the layer_norm, attention and transformer tests: naive long-double
// loops to compare against, the bit checks across threads and SIMD paths, and error messages.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "ops/kernels/simd/simd_path.hpp"
#include "tapegrad.hpp"
#include "test_util.hpp"

namespace attention_test {

using namespace tg;
using test_util::check_thread_independent;
using test_util::error_of;
using test_util::same_bits;

// Runs run(input) for each input, on every SIMD path this CPU has and with 1 and 2 threads,
// and requires the bits of the portable path on one thread with inputs[0] every time
// (restoring the path and the thread count after).
inline void check_same_bits_everywhere(const std::function<std::vector<Tensor>(const Tensor&)>& run,
                                       const std::vector<Tensor>& inputs) {
  const kernels::SimdPath saved_path = kernels::simd_path();
  kernels::set_simd_path(kernels::SimdPath::portable);
  set_num_threads(1);
  const std::vector<Tensor> want = run(inputs.front());
  for (const kernels::SimdPath path :
       {kernels::SimdPath::portable, kernels::SimdPath::avx2, kernels::SimdPath::avx512}) {
    if (path > kernels::best_simd_path()) continue;
    kernels::set_simd_path(path);
    for (const int threads : {1, 2}) {
      set_num_threads(threads);
      for (const Tensor& input : inputs) {
        const std::vector<Tensor> got = run(input);
        for (std::size_t i = 0; i < want.size(); ++i) {
          CHECK_MESSAGE(same_bits(got[i], want[i]), "path ", std::string(to_string(path)), ", threads ", threads,
                        ", contiguous ", input.is_contiguous(), ", output ", i);
        }
      }
    }
  }
  kernels::set_simd_path(saved_path);
  set_num_threads(0);
}

// Layer norm of rows of n elements, in long double; w and b may be empty.
inline std::vector<long double> naive_layer_norm(const std::vector<double>& x, std::int64_t n,
                                                 const std::vector<double>& w, const std::vector<double>& b,
                                                 double eps) {
  std::vector<long double> y(x.size());
  for (std::size_t r = 0; r * n < x.size(); ++r) {
    long double mean = 0, var = 0;
    for (std::int64_t j = 0; j < n; ++j) mean += x[r * n + j];
    mean /= n;
    for (std::int64_t j = 0; j < n; ++j) var += (x[r * n + j] - mean) * (x[r * n + j] - mean);
    var /= n;
    for (std::int64_t j = 0; j < n; ++j) {
      long double v = (x[r * n + j] - mean) / std::sqrt(var + eps);
      if (!w.empty()) v *= w[j];
      if (!b.empty()) v += b[j];
      y[r * n + j] = v;
    }
  }
  return y;
}

// Attention of one batch entry: q [l, e], k [s, e], v [s, ev] row-major, mask [l, s]
// additive (empty: none), in long double. allowed(i, j) false masks a pair out (-inf).
inline std::vector<long double> naive_attention(const std::vector<double>& q, const std::vector<double>& k,
                                                const std::vector<double>& v, const std::vector<double>& mask,
                                                std::int64_t l, std::int64_t s, std::int64_t e, std::int64_t ev,
                                                long double scale,
                                                const std::function<bool(std::int64_t, std::int64_t)>& allowed) {
  std::vector<long double> out(static_cast<std::size_t>(l * ev), 0.0L);
  for (std::int64_t i = 0; i < l; ++i) {
    std::vector<long double> p(static_cast<std::size_t>(s));
    long double m = -std::numeric_limits<long double>::infinity();
    for (std::int64_t j = 0; j < s; ++j) {
      long double d = 0;
      for (std::int64_t c = 0; c < e; ++c) d += static_cast<long double>(q[i * e + c]) * k[j * e + c];
      p[j] = d * scale + (mask.empty() ? 0.0L : mask[i * s + j]);
      if (!allowed(i, j)) p[j] = -std::numeric_limits<long double>::infinity();
      m = std::max(m, p[j]);
    }
    long double z = 0;
    for (std::int64_t j = 0; j < s; ++j) z += (p[j] = std::exp(p[j] - m));
    for (std::int64_t j = 0; j < s; ++j)
      for (std::int64_t c = 0; c < ev; ++c) out[i * ev + c] += p[j] / z * v[j * ev + c];
  }
  return out;
}

inline void check_close(const Tensor& got, const std::vector<long double>& expected, double tol) {
  const std::vector<double> g = got.to_vector();
  REQUIRE(g.size() == expected.size());
  for (std::size_t i = 0; i < g.size(); ++i) {
    INFO("element ", i);
    CHECK(std::abs(static_cast<long double>(g[i]) - expected[i]) <= tol * (1 + std::abs(expected[i])));
  }
}

// Uniform float64 values in [-1, 1), requiring grad when asked.
inline Tensor rand64(const Shape& s, Generator& gen, bool requires_grad = true) {
  Tensor t = uniform(s, -1.0, 1.0, gen, {.dtype = DType::Float64});
  if (requires_grad) t.set_requires_grad(true);
  return t;
}

}  // namespace attention_test
