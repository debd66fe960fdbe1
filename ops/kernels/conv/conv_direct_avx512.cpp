// Direct-convolution tiles for AVX-512: up to 24 zmm accumulators.
#include <immintrin.h>

#include <cstdint>

#include "ops/kernels/conv/conv_direct.hpp"
#include "ops/kernels/simd/isa_target.hpp"

TG_ISA_TARGET_BEGIN("avx2,fma,avx512f")

#include "ops/kernels/conv/conv_direct_tile.hpp"
#include "ops/kernels/simd/simd_avx512.hpp"

namespace tg::kernels::gemm_detail {
namespace {
constexpr conv_detail::DirectKernel<float> kDirectF32 = make_direct_kernel<Avx512F32, 24, 6, 4>();
constexpr conv_detail::DirectKernel<double> kDirectF64 = make_direct_kernel<Avx512F64, 24, 6, 4>();
}  // namespace
}  // namespace tg::kernels::gemm_detail

TG_ISA_TARGET_END

namespace tg::kernels::conv_detail {
template <>
const DirectKernel<float>& direct_avx512<float>() {
  return gemm_detail::kDirectF32;
}
template <>
const DirectKernel<double>& direct_avx512<double>() {
  return gemm_detail::kDirectF64;
}
}  // namespace tg::kernels::conv_detail
