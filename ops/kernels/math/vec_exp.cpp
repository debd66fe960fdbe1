#include "ops/kernels/math/vec_exp.hpp"

#include "ops/kernels/math/vec_math.hpp"
#include "ops/kernels/simd/simd_path.hpp"

namespace tg::kernels {

namespace {

void exp_floats_portable(const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = exp_float(x[i]);
}

}  // namespace

void exp_floats(const float* x, float* y, std::int64_t n) {
  pick_by_simd_path(&exp_floats_portable, &vec_exp_detail::exp_floats_avx2, &vec_exp_detail::exp_floats_avx512)(x, y,
                                                                                                                n);
}

}  // namespace tg::kernels
