#include "ops/kernels/conv_weights.hpp"

#include <algorithm>

namespace tg::kernels {

// Rotated, row i and column (c, t) of group grp's matrix is w[grp*Cg' + c, i, kk-1-t], with
// Cg' = g.cin_g() the forward's output channels per group. For one c, a panel's rows read one
// contiguous run of w, so packing in rotated order costs about what packing a rotated copy
// would, and the copy (a transpose of the whole kernel) is never made.
template <class T>
PackAPanel<T> weight_panels(ConvWeights<T> weights, const ConvLoopGeometry& g, std::int64_t grp) {
  const std::int64_t rows = g.cout_g();
  const std::int64_t kdim = g.kdim();
  const T* w_g = weights.w + grp * rows * kdim;
  if (!weights.rot180) return strided_panels(w_g, kdim, 1);
  const std::int64_t kk = g.kernel_h * g.kernel_w;
  const std::int64_t c_end = g.cin_g();
  return [w_g, rows, c_end, kk](T* dst, std::int64_t mr, std::int64_t i0, std::int64_t h, std::int64_t k0,
                               std::int64_t kc) {
    std::int64_t c = k0 / kk, t = k0 % kk;
    for (std::int64_t p = 0; p < kc; ++p, dst += mr) {
      const T* block = w_g + (c * rows + i0) * kk;
      // The runs of successive c are a whole kernel apart: too far for the hardware
      // prefetcher, so the next c's run is fetched while this one is copied.
      if (t == 0 && c + 1 < c_end) {
        for (std::int64_t e = rows * kk; e < (rows + h) * kk; e += 64 / sizeof(T)) __builtin_prefetch(block + e);
      }
      const T* src = block + (kk - 1 - t);
      for (std::int64_t i = 0; i < h; ++i) dst[i] = src[i * kk];
      std::fill(dst + h, dst + mr, T(0));
      if (++t == kk) {
        t = 0;
        ++c;
      }
    }
  };
}

template PackAPanel<float> weight_panels<float>(ConvWeights<float>, const ConvLoopGeometry&, std::int64_t);
template PackAPanel<double> weight_panels<double>(ConvWeights<double>, const ConvLoopGeometry&, std::int64_t);

}  // namespace tg::kernels
