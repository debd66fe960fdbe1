// recurrent_rows.hpp's float loops for AVX-512 (16 floats a step): the baseline loops compiled for a
// wider ISA. Built with -ffp-contract=off (CMakeLists.txt) so that no a * b + c is fused:
// the results equal the baseline path's bit for bit. Standard headers come before the
// target pragma (see vec_exp_avx2.cpp).
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ops/kernels/simd/isa_target.hpp"

TG_ISA_TARGET_BEGIN("avx512f")

#include "ops/kernels/math/recurrent_rows_loops.hpp"

namespace tg::kernels::recurrent_rows_detail {

void lstm_forward_row_avx512(const LstmForwardRow<float>& r) { lstm_forward_row_loop(r); }

void gru_forward_row_avx512(const GruForwardRow<float>& r) { gru_forward_row_loop(r); }

}  // namespace tg::kernels::recurrent_rows_detail

TG_ISA_TARGET_END
