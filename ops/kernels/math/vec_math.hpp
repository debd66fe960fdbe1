// Math functions for kernel loops. std::exp is a call into libm per element, which runs
// at a fraction of the memory bandwidth; the float version here is branch-free arithmetic
// that the compiler vectorises (the library is built with -fno-trapping-math, which lets
// GCC turn its clamps into selects). The same operations run in the vector body and in the
// scalar remainder, without FMA contraction, so a result never depends on where a chunk
// boundary falls (nor on the thread count) nor on the instruction set (vec_exp.hpp).
//
// Internal linkage: files built for AVX2 / AVX-512 include this header too, and their
// copies must not be merged with the baseline ones by the linker.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

namespace tg::kernels {
namespace {

// e^x for float, within 2 ulp of the exact value (Cephes expf: x = n ln2 + r with
// |r| <= ln2 / 2, a degree-7 polynomial for e^r, then a scaling by 2^n done in two halves
// so that results in the subnormal range come out right). Exact for 0, +-inf and NaN.
inline float exp_float(float x) {
  // Beyond these bounds the result is inf or 0 anyway; clamping keeps n in range. (A NaN
  // passes both comparisons unchanged.)
  float xc = x < -104.0f ? -104.0f : x;
  xc = xc > 89.0f ? 89.0f : xc;
  // n = round(x / ln2), by the add-and-subtract trick (round to nearest even).
  constexpr float kShifter = 12582912.0f;  // 1.5 * 2^23
  const float t = xc * 1.44269504088896341f + kShifter;
  const float n = t - kShifter;
  // r = x - n ln2, with ln2 split into a short head (n * head is exact) and a tail.
  const float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
  // The polynomial's four high coefficients in Estrin's scheme, the two low ones by Horner:
  // loops over exp are bound by each element's chain of dependent operations, and this
  // shortens it from five multiply-adds to four while keeping every float input within 1 ulp
  // (checked exhaustively; a full Estrin scheme misses that by 0.4% of an ulp on one input).
  const float r2 = r * r;
  const float p2345 = (4.1665795894e-2f + r * 8.3334519073e-3f) + r2 * (1.3981999507e-3f + r * 1.9875691500e-4f);
  const float p = ((p2345 * r + 1.6666665459e-1f) * r + 5.0000001201e-1f) * r2 + r + 1.0f;
  // 2^n as two factors 2^(n/2) and 2^(n - n/2), each a normal float for n in [-150, 128].
  const std::int32_t ni = std::bit_cast<std::int32_t>(t) - std::bit_cast<std::int32_t>(kShifter);
  const std::int32_t n1 = ni >> 1;
  const std::int32_t n2 = ni - n1;
  const float s1 = std::bit_cast<float>(static_cast<std::uint32_t>(n1 + 127) << 23);
  const float s2 = std::bit_cast<float>(static_cast<std::uint32_t>(n2 + 127) << 23);
  return p * s1 * s2;  // a NaN x has made p NaN
}

// e^x for kernel loops: the vectorisable version for float; libm for double, whose
// callers (float64 gradient checks, reference results) want its accuracy.
template <class T>
T exp(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return exp_float(x);
  } else {
    return std::exp(x);
  }
}

}  // namespace
}  // namespace tg::kernels
