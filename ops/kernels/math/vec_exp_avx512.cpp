// exp_floats for AVX-512 (16 floats a step): the baseline loop compiled for a wider ISA. Built
// with -ffp-contract=off (CMakeLists.txt) so that no a * b + c is fused: the results equal
// the baseline path's bit for bit. Standard headers come before the target pragma, so that
// no library function is compiled for this ISA only (the linker could pick that copy for
// baseline callers).
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ops/kernels/simd/isa_target.hpp"

TG_ISA_TARGET_BEGIN("avx512f")

#include "ops/kernels/math/vec_exp.hpp"
#include "ops/kernels/math/vec_math.hpp"

namespace tg::kernels::vec_exp_detail {

void exp_floats_avx512(const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = exp_float(x[i]);
}

}  // namespace tg::kernels::vec_exp_detail

TG_ISA_TARGET_END
