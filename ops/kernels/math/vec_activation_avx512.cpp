// activation_floats for AVX-512 (16 floats a step): the baseline loop compiled for a wider ISA.
// Built with -ffp-contract=off (CMakeLists.txt) so that no a * b + c is fused: the results
// equal the baseline path's bit for bit. Standard headers come before the target pragma
// (see vec_exp_avx2.cpp).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ops/kernels/simd/isa_target.hpp"

TG_ISA_TARGET_BEGIN("avx512f")

#include "ops/kernels/math/vec_activation_loops.hpp"

namespace tg::kernels::vec_activation_detail {

void activation_floats_avx512(FloatActivation f, const float* x, float* y, std::int64_t n) {
  activation_loop(f, x, y, n);
}

void activation_gradient_floats_avx512(FloatActivation f, const float* g, const float* x, float* y, std::int64_t n) {
  activation_gradient_loop(f, g, x, y, n);
}

}  // namespace tg::kernels::vec_activation_detail

TG_ISA_TARGET_END
