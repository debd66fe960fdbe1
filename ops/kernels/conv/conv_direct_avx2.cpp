// Direct-convolution tiles for AVX2 + FMA: up to 12 ymm accumulators.
#include <immintrin.h>

#include <cstdint>

#include "ops/kernels/conv/conv_direct.hpp"
#include "ops/kernels/simd/isa_target.hpp"

TG_ISA_TARGET_BEGIN("avx2,fma")

#include "ops/kernels/conv/conv_direct_tile.hpp"
#include "ops/kernels/simd/simd_avx2.hpp"

namespace tg::kernels::gemm_detail {
namespace {
constexpr conv_detail::DirectKernel<float> kDirectF32 = make_direct_kernel<Avx2F32, 12, 2, 5>();
constexpr conv_detail::DirectKernel<double> kDirectF64 = make_direct_kernel<Avx2F64, 12, 2, 5>();
}  // namespace
}  // namespace tg::kernels::gemm_detail

TG_ISA_TARGET_END

namespace tg::kernels::conv_detail {
template <>
const DirectKernel<float>& direct_avx2<float>() {
  return gemm_detail::kDirectF32;
}
template <>
const DirectKernel<double>& direct_avx2<double>() {
  return gemm_detail::kDirectF64;
}
}  // namespace tg::kernels::conv_detail
