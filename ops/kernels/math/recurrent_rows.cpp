#include "ops/kernels/math/recurrent_rows.hpp"

#include "ops/kernels/math/recurrent_rows_loops.hpp"
#include "ops/kernels/simd/simd_path.hpp"

namespace tg::kernels {

void lstm_forward_row(const LstmForwardRow<float>& r) {
  pick_by_simd_path(&lstm_forward_row_loop<float>, &recurrent_rows_detail::lstm_forward_row_avx2,
                    &recurrent_rows_detail::lstm_forward_row_avx512)(r);
}

void lstm_forward_row(const LstmForwardRow<double>& r) { lstm_forward_row_loop(r); }

void gru_forward_row(const GruForwardRow<float>& r) {
  pick_by_simd_path(&gru_forward_row_loop<float>, &recurrent_rows_detail::gru_forward_row_avx2,
                    &recurrent_rows_detail::gru_forward_row_avx512)(r);
}

void gru_forward_row(const GruForwardRow<double>& r) { gru_forward_row_loop(r); }

}  // namespace tg::kernels
