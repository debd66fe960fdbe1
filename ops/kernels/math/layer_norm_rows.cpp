#include "ops/kernels/math/layer_norm_rows.hpp"

#include "ops/kernels/math/layer_norm_loops.hpp"
#include "ops/kernels/simd/simd_path.hpp"

namespace tg::kernels {

namespace {

template <class T>
void forward_rows(const LayerNormForwardRows<T>& a) {
  pick_by_simd_path(&forward_rows_loop<BaselineRowSums, T>, &layer_norm_detail::forward_rows_avx2<T>,
                    &layer_norm_detail::forward_rows_avx512<T>)(a);
}

template <class T>
void backward_rows(const LayerNormBackwardRows<T>& a) {
  pick_by_simd_path(&backward_rows_loop<BaselineRowSums, T>, &layer_norm_detail::backward_rows_avx2<T>,
                    &layer_norm_detail::backward_rows_avx512<T>)(a);
}

}  // namespace

void layer_norm_forward_rows(const LayerNormForwardRows<float>& a) { forward_rows(a); }
void layer_norm_forward_rows(const LayerNormForwardRows<double>& a) { forward_rows(a); }
void layer_norm_backward_rows(const LayerNormBackwardRows<float>& a) { backward_rows(a); }
void layer_norm_backward_rows(const LayerNormBackwardRows<double>& a) { backward_rows(a); }

}  // namespace tg::kernels
