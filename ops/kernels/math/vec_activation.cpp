#include "ops/kernels/math/vec_activation.hpp"

#include "ops/kernels/math/vec_activation_loops.hpp"
#include "ops/kernels/simd/simd_path.hpp"

namespace tg::kernels {

void activation_floats(FloatActivation f, const float* x, float* y, std::int64_t n) {
  pick_by_simd_path(&activation_loop, &vec_activation_detail::activation_floats_avx2,
                    &vec_activation_detail::activation_floats_avx512)(f, x, y, n);
}

void activation_gradient_floats(FloatActivation f, const float* g, const float* x, float* y, std::int64_t n) {
  pick_by_simd_path(&activation_gradient_loop, &vec_activation_detail::activation_gradient_floats_avx2,
                    &vec_activation_detail::activation_gradient_floats_avx512)(f, g, x, y, n);
}

}  // namespace tg::kernels
