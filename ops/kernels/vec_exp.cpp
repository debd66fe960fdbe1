#include "ops/kernels/vec_exp.hpp"

#include "ops/kernels/gemm.hpp"
#include "ops/kernels/vec_math.hpp"

namespace tg::kernels {

void exp_floats(const float* x, float* y, std::int64_t n) {
  switch (gemm_simd_path()) {
    case SimdPath::avx512:
      vec_exp_detail::exp_floats_avx512(x, y, n);
      return;
    case SimdPath::avx2:
      vec_exp_detail::exp_floats_avx2(x, y, n);
      return;
    case SimdPath::portable:
      break;
  }
  for (std::int64_t i = 0; i < n; ++i) y[i] = exp_float(x[i]);
}

}  // namespace tg::kernels
