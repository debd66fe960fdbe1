// layer_norm's row kernels for AVX2 (4 doubles a step): the baseline loops compiled for a
// wider ISA. Built with -ffp-contract=off (CMakeLists.txt) so that no a * b + c is fused:
// the results equal the baseline path's bit for bit. Standard headers come before the
// target pragma (see vec_exp_avx2.cpp).
#include <cmath>
#include <cstdint>

#include "ops/kernels/simd/isa_target.hpp"

TG_ISA_TARGET_BEGIN("avx2")

#include "ops/kernels/math/layer_norm_loops.hpp"

namespace tg::kernels::layer_norm_detail {

template <class T>
void forward_rows_avx2(const LayerNormForwardRows<T>& a) {
  forward_rows_loop(a);
}

template <class T>
void backward_rows_avx2(const LayerNormBackwardRows<T>& a) {
  backward_rows_loop(a);
}

template void forward_rows_avx2(const LayerNormForwardRows<float>&);
template void forward_rows_avx2(const LayerNormForwardRows<double>&);
template void backward_rows_avx2(const LayerNormBackwardRows<float>&);
template void backward_rows_avx2(const LayerNormBackwardRows<double>&);

}  // namespace tg::kernels::layer_norm_detail

TG_ISA_TARGET_END
