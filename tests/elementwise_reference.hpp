// Test-side references for elementwise ops: naive per-element loops over multi-indices
// (reading through Tensor::value, never through the kernels), operand layouts
// (contiguous, transposed, sliced) and a tolerance check.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace tg::test {

enum class Layout { Contiguous, Transposed, Sliced };

inline const char* layout_name(Layout l) {
  switch (l) {
    case Layout::Contiguous:
      return "contiguous";
    case Layout::Transposed:
      return "transposed";
    case Layout::Sliced:
      return "sliced";
  }
  return "?";
}

inline Strides row_major_strides(const Shape& s) {
  Strides st(s.size(), 1);
  for (std::size_t d = s.size(); d-- > 1;) st[d - 1] = st[d] * s[d];
  return st;
}

// A tensor of logical shape `shape` and dtype `dtype` in the requested layout, values
// uniform in [low, high) (integers in [low, high) when `integers` or dtype is int64).
inline Tensor make_operand(const Shape& shape, Layout layout, DType dtype, Generator& gen, double low, double high,
                           bool integers = false) {
  Shape base_shape = shape;
  if (layout == Layout::Transposed && shape.size() >= 2)
    std::swap(base_shape[shape.size() - 1], base_shape[shape.size() - 2]);
  if (layout == Layout::Sliced && !shape.empty()) base_shape.back() = 2 * shape.back() + 1;
  Tensor base;
  if (integers || dtype == DType::Int64) {
    base = randint(static_cast<std::int64_t>(low), static_cast<std::int64_t>(high), base_shape, gen).clone_as(dtype);
  } else {
    base = uniform(base_shape, low, high, gen, {.dtype = dtype});
  }
  Strides st = row_major_strides(base_shape);
  if (layout == Layout::Transposed && shape.size() >= 2) {
    std::swap(st[shape.size() - 1], st[shape.size() - 2]);
    return raw::as_strided(base, shape, st, 0);
  }
  if (layout == Layout::Sliced && !shape.empty()) {
    st.back() = 2;
    return raw::as_strided(base, shape, st, 1);
  }
  return base;
}

inline std::vector<std::int64_t> unravel(std::int64_t i, const Shape& s) {
  std::vector<std::int64_t> idx(s.size());
  for (std::size_t d = s.size(); d-- > 0;) {
    idx[d] = i % s[d];
    i /= s[d];
  }
  return idx;
}

// The element of t that broadcasting places at output index idx (right-aligned dims).
inline double at_broadcast(const Tensor& t, const std::vector<std::int64_t>& idx) {
  std::vector<std::int64_t> j(static_cast<std::size_t>(t.dim()));
  const std::size_t lead = idx.size() - j.size();
  for (std::size_t d = 0; d < j.size(); ++d) j[d] = t.shape()[d] == 1 ? 0 : idx[lead + d];
  return t.value(std::span<const std::int64_t>(j));
}

// f applied in type T to x, element by element.
template <class T, class F>
std::vector<double> naive_unary(const Tensor& x, F f) {
  std::vector<double> out;
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    out.push_back(static_cast<double>(f(static_cast<T>(at_broadcast(x, unravel(i, x.shape()))))));
  }
  return out;
}

// f applied in type T to a and b broadcast to `shape`, element by element.
template <class T, class F>
std::vector<double> naive_binary(const Tensor& a, const Tensor& b, const Shape& shape, F f) {
  std::vector<double> out;
  for (std::int64_t i = 0; i < numel(shape); ++i) {
    const auto idx = unravel(i, shape);
    out.push_back(static_cast<double>(f(static_cast<T>(at_broadcast(a, idx)), static_cast<T>(at_broadcast(b, idx)))));
  }
  return out;
}

// got has dtype `dtype` and matches want elementwise: exactly for int64 and bool, within a
// few ulps of the dtype otherwise; NaN matches NaN.
inline void check_values(const Tensor& got, DType dtype, const std::vector<double>& want, const std::string& what) {
  INFO(what);
  REQUIRE(got.dtype() == dtype);
  const std::vector<double> g = got.to_vector();
  REQUIRE(g.size() == want.size());
  const double tol = dtype == DType::Float32 ? 2e-6 : dtype == DType::Float64 ? 1e-14 : 0.0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(want[i])) {
      CHECK_MESSAGE(std::isnan(g[i]), "element ", i);
    } else if (std::isinf(want[i])) {
      CHECK_MESSAGE(g[i] == want[i], "element ", i);
    } else {
      CHECK_MESSAGE(std::abs(g[i] - want[i]) <= tol * (1.0 + std::abs(want[i])), "element ", i, ": got ", g[i],
                    ", want ", want[i]);
    }
  }
}

// Central finite-difference gradient of sum(fn(inputs) * w) with respect to inputs[k]
// (float64 inputs; perturbs a contiguous copy, which keeps requires_grad so that fn may
// itself take gradients).
template <class Fn>
std::vector<double> numeric_grad(Fn fn, std::vector<Tensor> inputs, std::size_t k, const Tensor& w, double eps = 1e-6) {
  Tensor x = inputs[k].detach().clone_as(DType::Float64).set_requires_grad(inputs[k].requires_grad());
  inputs[k] = x;
  double* p = x.data<double>();
  std::vector<double> out;
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const double saved = p[i];
    p[i] = saved + eps;
    const double up = sum(fn(inputs) * w).item();
    p[i] = saved - eps;
    const double down = sum(fn(inputs) * w).item();
    p[i] = saved;
    out.push_back((up - down) / (2 * eps));
  }
  return out;
}

inline void check_near(const std::vector<double>& got, const std::vector<double>& want, double tol,
                       const std::string& what) {
  INFO(what);
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK_MESSAGE(std::abs(got[i] - want[i]) <= tol * (1.0 + std::abs(want[i])), "element ", i, ": got ", got[i],
                  ", want ", want[i]);
  }
}

}  // namespace tg::test
