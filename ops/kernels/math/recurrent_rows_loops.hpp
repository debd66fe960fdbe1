// The loops every path of recurrent_rows.hpp compiles (recurrent_rows.cpp, _avx2.cpp,
// _avx512.cpp): plain C++ that the compiler vectorises for the ISA of the including file.
// One map per loop, each over pointers it declares unaliased: a loop that reads a
// workspace row at one offset and writes it at another stays scalar (the compiler cannot
// rule out an overlap), and a transcendental per element then costs several times its
// vector form. Internal linkage, like vec_activation_loops.hpp.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ops/kernels/math/recurrent_rows.hpp"
#include "ops/kernels/math/vec_math.hpp"

namespace tg::kernels {
namespace {

// Logistic function. float evaluates branch-free through kernels::exp so the loops over a
// row vectorise (e^-x overflows to a huge finite value or inf, giving 0 as it should);
// double keeps libm's accuracy, as the sigmoid op does, for the float64 gradient checks.
template <class T>
inline T sigmoid_of(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return 1.0f / (1.0f + exp(-x));
  } else {
    if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return e / (T(1) + e);
  }
}

// tanh(x) = 1 - 2 / (1 + e^2x): exact at both saturations (e^2x = inf gives 1, 0 gives -1);
// its absolute error near 0 (a float ulp of 1) is far below float's use here.
template <class T>
inline T tanh_of(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return 1.0f - 2.0f / (1.0f + exp(2.0f * x));
  } else {
    return std::tanh(x);
  }
}

// out[k] = f(x[k] + y[k]) for k < n.
template <class T, class F>
inline void map_of_sum(const T* __restrict x, const T* __restrict y, T* __restrict out, std::int64_t n, F f) {
  for (std::int64_t k = 0; k < n; ++k) out[k] = f(x[k] + y[k]);
}

// out[k] = f(x[k]) for k < n.
template <class T, class F>
inline void map_into(const T* __restrict x, T* __restrict out, std::int64_t n, F f) {
  for (std::int64_t k = 0; k < n; ++k) out[k] = f(x[k]);
}

// c'[j] = f[j] c[j] + i[j] g[j] for j < n.
template <class T>
inline void cell_state(const T* __restrict i, const T* __restrict f, const T* __restrict g, const T* __restrict c,
                       T* __restrict c_next, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) c_next[j] = f[j] * c[j] + i[j] * g[j];
}

// out[j] = a[j] b[j] for j < n.
template <class T>
inline void product(const T* __restrict a, const T* __restrict b, T* __restrict out, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) out[j] = a[j] * b[j];
}

// a[j] = x_n[j] + r[j] h_n[j] for j < n: the GRU candidate's pre-activation.
template <class T>
inline void candidate(const T* __restrict x_n, const T* __restrict r, const T* __restrict h_n, T* __restrict a,
                      std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) a[j] = x_n[j] + r[j] * h_n[j];
}

// y[j] = n[j] + z[j] (h[j] - n[j]) for j < count: the GRU's h' = (1 - z) n + z h.
template <class T>
inline void blend(const T* __restrict n, const T* __restrict z, const T* __restrict h, T* __restrict y,
                  std::int64_t count) {
  for (std::int64_t j = 0; j < count; ++j) y[j] = n[j] + z[j] * (h[j] - n[j]);
}

template <class T>
inline void lstm_forward_row_loop(const LstmForwardRow<T>& r) {
  const std::int64_t h = r.h;
  T* const w = r.workspace;
  map_of_sum(r.gates_x, r.gates_h, w, 2 * h, sigmoid_of<T>);                      // i, f
  map_of_sum(r.gates_x + 2 * h, r.gates_h + 2 * h, w + 2 * h, h, tanh_of<T>);     // g
  map_of_sum(r.gates_x + 3 * h, r.gates_h + 3 * h, w + 3 * h, h, sigmoid_of<T>);  // o
  cell_state(w, w + h, w + 2 * h, r.c, r.y + h, h);                               // c' = f c + i g
  map_into(r.y + h, w + 4 * h, h, tanh_of<T>);                                    // tanh(c')
  product(w + 3 * h, w + 4 * h, r.y, h);                                          // h' = o tanh(c')
}

// The output row holds the candidate's pre-activation until the blend overwrites it.
template <class T>
inline void gru_forward_row_loop(const GruForwardRow<T>& r) {
  const std::int64_t h = r.h;
  T* const w = r.workspace;
  map_of_sum(r.gates_x, r.gates_h, w, 2 * h, sigmoid_of<T>);   // r, z
  candidate(r.gates_x + 2 * h, w, r.gates_h + 2 * h, r.y, h);  // x_n + r h_n
  map_into(r.y, w + 2 * h, h, tanh_of<T>);                     // n
  blend(w + 2 * h, w + h, r.h_prev, r.y, h);                   // h' = n + z (h - n)
}

}  // namespace
}  // namespace tg::kernels
