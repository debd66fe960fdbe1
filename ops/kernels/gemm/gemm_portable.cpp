// Portable micro-kernels (plain C++, one lane per "vector"): 4 x 8 tiles for float and
// double. Used when the CPU has neither AVX2 nor AVX-512, or when forced for testing.
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "ops/kernels/gemm/gemm_tile.hpp"
#include "ops/kernels/simd/simd_portable.hpp"

namespace tg::kernels::gemm_detail {
namespace {

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
