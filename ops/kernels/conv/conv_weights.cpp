#include "ops/kernels/conv/conv_weights.hpp"

#include <algorithm>

namespace tg::kernels {

namespace {

template <class T>
void prefetch_run(const T* run, std::int64_t count) {
  constexpr std::int64_t kLine = 64 / sizeof(T);
  for (std::int64_t e = 0; e < count; e += kLine) __builtin_prefetch(run + e);
  if (count > 0) __builtin_prefetch(run + count - 1);  // a run that starts mid-line ends on one more
}

}  // namespace

// Rotated, row i and column (c, t) of group grp's matrix is w[grp*Cg' + c, i, kk-1-t], with
// Cg' = g.cin_g() the forward's output channels per group. For one c, the rows of a run of
// panels read one contiguous run of w, so packing in rotated order costs about what packing
// a rotated copy would, and the copy (a transpose of the whole kernel) is never made.
template <class T>
PackAPanel<T> weight_panels(ConvWeights<T> weights, const ConvLoopGeometry& g, std::int64_t grp) {
  const std::int64_t rows = g.cout_g();
  const std::int64_t kdim = g.kdim();
  const T* w_g = weights.w + grp * rows * kdim;
  if (!weights.rot180) return strided_panels(w_g, kdim, 1);
  const std::int64_t kk = g.kernel_h * g.kernel_w;
  const std::int64_t c_end = g.cin_g();
  const StridedPack<T> pack = strided_pack<T>();
  return [w_g, rows, c_end, kk, pack](T* dst, std::int64_t mr, std::int64_t i0, std::int64_t h, std::int64_t k0,
                                      std::int64_t kc) {
    // c outermost: each c's run, the kernels of all the panels' rows, is read in memory
    // order once (cold, 512 x 4608 weights in 6-row panels, AVX2 on a Zen 3: 1.1 ms against
    // 2.4 for a panel at a time, whose 43 short runs 18 KB apart per k-block defeat the
    // hardware prefetcher).
    for (std::int64_t k = k0; k < k0 + kc;) {
      const std::int64_t c = k / kk, t = k % kk, taps = std::min(kk - t, k0 + kc - k);
      const T* run = w_g + (c * rows + i0) * kk;
      // The runs of successive c are a whole kernel apart: too far for the hardware
      // prefetcher, so the next c's run is fetched while this one is copied.
      if (t == 0 && c + 1 < c_end) prefetch_run(run + rows * kk, h * kk);
      for (std::int64_t i = 0; i < h; i += mr) {
        // Rows kk apart, taps backwards from tap kk - 1 - t.
        pack(dst + i * kc + (k - k0) * mr, mr, run + i * kk + (kk - 1 - t), kk, -1, std::min(mr, h - i), taps);
      }
      k += taps;
    }
  };
}

template <class T>
void prefetch_weight_panel(ConvWeights<T> weights, const ConvLoopGeometry& g, std::int64_t grp, std::int64_t i0,
                           std::int64_t h, std::int64_t k0, std::int64_t kc) {
  const std::int64_t rows = g.cout_g();
  const std::int64_t kdim = g.kdim();
  const T* w_g = weights.w + grp * rows * kdim;
  if (!weights.rot180) {
    for (std::int64_t i = i0; i < i0 + h; ++i) prefetch_run(w_g + i * kdim + k0, kc);
    return;
  }
  const std::int64_t kk = g.kernel_h * g.kernel_w;
  for (std::int64_t c = k0 / kk; c * kk < k0 + kc; ++c) prefetch_run(w_g + (c * rows + i0) * kk, h * kk);
}

template PackAPanel<float> weight_panels<float>(ConvWeights<float>, const ConvLoopGeometry&, std::int64_t);
template PackAPanel<double> weight_panels<double>(ConvWeights<double>, const ConvLoopGeometry&, std::int64_t);
template void prefetch_weight_panel<float>(ConvWeights<float>, const ConvLoopGeometry&, std::int64_t, std::int64_t,
                                           std::int64_t, std::int64_t, std::int64_t);
template void prefetch_weight_panel<double>(ConvWeights<double>, const ConvLoopGeometry&, std::int64_t, std::int64_t,
                                            std::int64_t, std::int64_t, std::int64_t);

}  // namespace tg::kernels
