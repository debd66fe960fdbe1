#include "ops/kernels/pool/pool_tiled.hpp"

#include <limits>

#include "ops/kernels/simd/simd_path.hpp"

namespace tg::kernels {

bool max_pool2d_tiled_applies(const PoolGeometry& g) {
  // No portable path: a scalar per-window scan is latency-bound (each tap's compare waits
  // for the previous select) and measured slower than the general loops, which the compiler
  // vectorises over output columns. (It does not vectorise the per-window form: the strided
  // first tap compared with itself for the NaN test defeats GCC's vectoriser.)
  return simd_path() != SimdPath::portable && g.pad_h == 0 && g.pad_w == 0 && g.dilation_h == 1 && g.dilation_w == 1 &&
         (g.kernel_w == 2 || g.kernel_w == 3) && g.stride_w == g.kernel_w && g.out_h >= 1 && g.out_w >= 1 &&
         (g.out_h - 1) * g.stride_h + g.kernel_h <= g.in_h && g.out_w * g.kernel_w <= g.in_w &&
         g.in_h * g.in_w <= std::numeric_limits<std::int32_t>::max();
}

template <class T>
void max_pool2d_tiled_planes(const T* x, T* y, std::int64_t* argmax, const PoolGeometry& g, std::int64_t p0,
                             std::int64_t p1) {
  // The portable entry is never taken (max_pool2d_tiled_applies is false there).
  using Planes = void (*)(const T*, T*, std::int64_t*, const PoolGeometry&, std::int64_t, std::int64_t);
  pick_by_simd_path<Planes>(&pool_detail::max_tiled_planes_avx2, &pool_detail::max_tiled_planes_avx2,
                            &pool_detail::max_tiled_planes_avx512)(x, y, argmax, g, p0, p1);
}

template void max_pool2d_tiled_planes<float>(const float*, float*, std::int64_t*, const PoolGeometry&, std::int64_t,
                                             std::int64_t);
template void max_pool2d_tiled_planes<double>(const double*, double*, std::int64_t*, const PoolGeometry&, std::int64_t,
                                              std::int64_t);

}  // namespace tg::kernels
