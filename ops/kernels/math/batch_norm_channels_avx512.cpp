// batch_norm's channel kernels for AVX-512 (16 floats a step): the baseline loops compiled for a wider
// ISA. Built with -ffp-contract=off (CMakeLists.txt) so that no a * b + c is fused: the
// results equal the baseline path's bit for bit. Standard headers come before the target
// pragma (see vec_exp_avx2.cpp).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "ops/kernels/simd/isa_target.hpp"

TG_ISA_TARGET_BEGIN("avx512f")

#include "ops/kernels/math/batch_norm_loops.hpp"

namespace tg::kernels::batch_norm_detail {

template <class T>
void forward_channels_avx512(const BatchNormForwardChannels<T>& a, std::int64_t first, std::int64_t last) {
  batch_norm_forward_loop(a, first, last);
}

template <class T>
void backward_channels_avx512(const BatchNormBackwardChannels<T>& a, std::int64_t first, std::int64_t last) {
  batch_norm_backward_loop(a, first, last);
}

template void forward_channels_avx512(const BatchNormForwardChannels<float>&, std::int64_t, std::int64_t);
template void forward_channels_avx512(const BatchNormForwardChannels<double>&, std::int64_t, std::int64_t);
template void backward_channels_avx512(const BatchNormBackwardChannels<float>&, std::int64_t, std::int64_t);
template void backward_channels_avx512(const BatchNormBackwardChannels<double>&, std::int64_t, std::int64_t);

}  // namespace tg::kernels::batch_norm_detail

TG_ISA_TARGET_END
