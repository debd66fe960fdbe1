// Portable micro-kernels (plain C++, one lane per "vector"): 4 x 8 tiles for float and
// double. Used when the CPU has neither AVX2 nor AVX-512, or when forced for testing.
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "ops/kernels/gemm_tile.hpp"

namespace tg::kernels::gemm_detail {
namespace {

template <class Scalar>
struct Scalar1 {
  using T = Scalar;
  using Reg = Scalar;
  static constexpr int W = 1;
  static constexpr int kTranspose = 1;
  static Reg zero() { return Reg(0); }
  static Reg load(const T* p) { return *p; }
  static void store(T* p, Reg r) { *p = r; }
  static Reg bcast(T x) { return x; }
  static Reg fma(Reg a, Reg b, Reg c) { return a * b + c; }
  static Reg mul(Reg a, Reg b) { return a * b; }
  static void transpose_block(const T*, std::int64_t, T*, std::int64_t) {}
};

constexpr MicroKernel<float> kF32 = make_kernel<Scalar1<float>, 4, 8>(256, 192, 256);
constexpr MicroKernel<double> kF64 = make_kernel<Scalar1<double>, 4, 8>(256, 192, 256);

}  // namespace

template <>
const MicroKernel<float>& portable_kernel<float>() {
  return kF32;
}
template <>
const MicroKernel<double>& portable_kernel<double>() {
  return kF64;
}

}  // namespace tg::kernels::gemm_detail
