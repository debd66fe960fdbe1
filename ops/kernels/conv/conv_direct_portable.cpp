// Direct-convolution tiles for portable C++ (one lane per vector).
#include <cstdint>

#include "ops/kernels/conv/conv_direct.hpp"
#include "ops/kernels/conv/conv_direct_tile.hpp"
#include "ops/kernels/simd/simd_portable.hpp"

namespace tg::kernels::gemm_detail {
namespace {
constexpr conv_detail::DirectKernel<float> kDirectF32 = make_direct_kernel<Scalar1<float>, 16, 4, 4>();
constexpr conv_detail::DirectKernel<double> kDirectF64 = make_direct_kernel<Scalar1<double>, 16, 4, 4>();
}  // namespace
}  // namespace tg::kernels::gemm_detail

namespace tg::kernels::conv_detail {
template <>
const DirectKernel<float>& direct_portable<float>() {
  return gemm_detail::kDirectF32;
}
template <>
const DirectKernel<double>& direct_portable<double>() {
  return gemm_detail::kDirectF64;
}
}  // namespace tg::kernels::conv_detail
