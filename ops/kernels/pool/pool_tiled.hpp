// Max pooling whose windows tile each row: no padding, no dilation, stride_w == kernel_w
// (2 or 3), every window inside the input (kernel_h and stride_h are free). This covers the
// common 2x2/2 and 3x3/3 layers. The general loops pay a per-output-row setup that
// dominates on small planes (LeNet's 5- and 14-wide output rows); here whole vectors of
// windows (a run of one output row, or several short rows) are done at once: the input
// values under them are loaded with masks, split into one vector per window column, and
// reduced in row-major tap order.
//
// The results (values and arg-max indices) are those of the general loops, bit for bit:
// strictly greater replaces, a NaN replaces and is never replaced. The SIMD path follows
// simd_path(); on the portable path the general loops run.
#pragma once

#include <cstdint>

#include "ops/kernels/pool/pool_loops.hpp"

namespace tg::kernels {

// Whether max_pool2d_tiled_planes handles g on the current SIMD path (never on portable).
bool max_pool2d_tiled_applies(const PoolGeometry& g);

// max_pool2d_loops on planes [p0, p1), for a geometry accepted by max_pool2d_tiled_applies.
template <class T>
void max_pool2d_tiled_planes(const T* x, T* y, std::int64_t* argmax, const PoolGeometry& g, std::int64_t p0,
                             std::int64_t p1);

namespace pool_detail {

// max_pool2d_tiled_planes for the SIMD path in the name (plane offsets fit in int32, as
// max_pool2d_tiled_applies checks).
void max_tiled_planes_avx2(const float* x, float* y, std::int64_t* argmax, const PoolGeometry& g, std::int64_t p0,
                           std::int64_t p1);
void max_tiled_planes_avx2(const double* x, double* y, std::int64_t* argmax, const PoolGeometry& g, std::int64_t p0,
                           std::int64_t p1);
void max_tiled_planes_avx512(const float* x, float* y, std::int64_t* argmax, const PoolGeometry& g, std::int64_t p0,
                             std::int64_t p1);
void max_tiled_planes_avx512(const double* x, double* y, std::int64_t* argmax, const PoolGeometry& g, std::int64_t p0,
                             std::int64_t p1);

}  // namespace pool_detail

}  // namespace tg::kernels
