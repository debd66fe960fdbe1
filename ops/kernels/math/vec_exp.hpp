// exp over float arrays, at the widest SIMD width the CPU offers. The path follows gemm's
// (simd_path(): the best supported, lowered by TAPEGRAD_SIMD or set_simd_path).
// Every path evaluates exp_float's exact sequence of operations, so the bits are the same
// on every path and equal to exp_float(x[i]).
#pragma once

#include <cstdint>

namespace tg::kernels {

// y[i] = exp_float(x[i]) for i < n; y may be x (in place), but not overlap it otherwise.
void exp_floats(const float* x, float* y, std::int64_t n);

namespace vec_exp_detail {
void exp_floats_avx2(const float* x, float* y, std::int64_t n);
void exp_floats_avx512(const float* x, float* y, std::int64_t n);
}  // namespace vec_exp_detail

}  // namespace tg::kernels
