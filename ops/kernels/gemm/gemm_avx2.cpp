// AVX2 + FMA micro-kernels: 6 x 16 floats / 6 x 8 doubles (12 ymm accumulators, 2 ymm of B,
// A broadcast), with the same cache blocking as the AVX-512 path.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "ops/kernels/gemm/gemm_ukernel.hpp"
#include "ops/kernels/simd/isa_target.hpp"

TG_ISA_TARGET_BEGIN("avx2,fma")

#include "ops/kernels/gemm/gemm_tile.hpp"
#include "ops/kernels/simd/simd_avx2.hpp"

namespace tg::kernels::gemm_detail {
namespace {

// B blocks: 384 x 336 floats / 256 x 240 doubles, about half the L2. A row-major float A is
// read in place (gemm.cpp): a transformer block's linear-layer products on a Zen 1, 1 and 2
// threads, 1-14% faster than packed, squares from 512 to 2048 within 2%.
constexpr MicroKernel<float> kF32 = make_kernel<Avx2F32, 6, 16, true>(384, 192, 336);
constexpr MicroKernel<double> kF64 = make_kernel<Avx2F64, 6, 8>(256, 192, 240);

}  // namespace
}  // namespace tg::kernels::gemm_detail

TG_ISA_TARGET_END

namespace tg::kernels::gemm_detail {
template <>
const MicroKernel<float>& avx2_kernel<float>() {
  return kF32;
}
template <>
const MicroKernel<double>& avx2_kernel<double>() {
  return kF64;
}
}  // namespace tg::kernels::gemm_detail
