// The channel kernels of batch_norm on the SIMD path picked at run time;
// batch_norm_channels.hpp states the summation order, batch_norm_loops.hpp has the loops.
#include "ops/kernels/math/batch_norm_channels.hpp"

#include "ops/kernels/math/batch_norm_loops.hpp"
#include "ops/kernels/simd/simd_path.hpp"

namespace tg::kernels {

namespace {

template <class T>
void forward_channels(const BatchNormForwardChannels<T>& a, std::int64_t first, std::int64_t last) {
  pick_by_simd_path(&batch_norm_forward_loop<T>, &batch_norm_detail::forward_channels_avx2<T>,
                    &batch_norm_detail::forward_channels_avx512<T>)(a, first, last);
}

template <class T>
void backward_channels(const BatchNormBackwardChannels<T>& a, std::int64_t first, std::int64_t last) {
  pick_by_simd_path(&batch_norm_backward_loop<T>, &batch_norm_detail::backward_channels_avx2<T>,
                    &batch_norm_detail::backward_channels_avx512<T>)(a, first, last);
}

}  // namespace

void batch_norm_forward_channels(const BatchNormForwardChannels<float>& a, std::int64_t first, std::int64_t last) {
  forward_channels(a, first, last);
}
void batch_norm_forward_channels(const BatchNormForwardChannels<double>& a, std::int64_t first, std::int64_t last) {
  forward_channels(a, first, last);
}
void batch_norm_backward_channels(const BatchNormBackwardChannels<float>& a, std::int64_t first, std::int64_t last) {
  backward_channels(a, first, last);
}
void batch_norm_backward_channels(const BatchNormBackwardChannels<double>& a, std::int64_t first, std::int64_t last) {
  backward_channels(a, first, last);
}

}  // namespace tg::kernels
