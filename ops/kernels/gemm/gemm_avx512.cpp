// AVX-512 micro-kernels: 8 x 48 floats / 8 x 24 doubles (24 zmm accumulators, 3 zmm of B,
// A broadcast from memory), with blocking sized for a 1 MB L2.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "ops/kernels/gemm/gemm_ukernel.hpp"
#include "ops/kernels/simd/isa_target.hpp"

TG_ISA_TARGET_BEGIN("avx2,fma,avx512f")

#include "ops/kernels/gemm/gemm_tile.hpp"
#include "ops/kernels/simd/simd_avx512.hpp"

namespace tg::kernels::gemm_detail {
namespace {

// B blocks: 384 x 336 floats / 256 x 240 doubles, about half the L2.
constexpr MicroKernel<float> kF32 = make_kernel<Avx512F32, 8, 48>(384, 192, 336);
constexpr MicroKernel<double> kF64 = make_kernel<Avx512F64, 8, 24>(256, 192, 240);

}  // namespace
}  // namespace tg::kernels::gemm_detail

TG_ISA_TARGET_END

namespace tg::kernels::gemm_detail {
template <>
const MicroKernel<float>& avx512_kernel<float>() {
  return kF32;
}
template <>
const MicroKernel<double>& avx512_kernel<double>() {
  return kF64;
}
}  // namespace tg::kernels::gemm_detail
