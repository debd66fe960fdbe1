// A cache-blocked transpose for the layout changes around the direct convolution kernels
// (weights to tap-major, dy to pixel-major, partial sums back to channel-major).
#pragma once

#include <algorithm>
#include <cstdint>

namespace tg::kernels {

// dst[c * dst_stride + r] = src[r * src_stride + c] for r < rows, c < cols, in blocks of
// kRows x kCols: each block fills whole cache lines of dst (kRows values apiece) that stay in
// L1 until done, while src is read in runs long enough for the hardware prefetcher. A plain
// loop writes (or reads) with a stride over the whole of one side, which misses cache on
// every element once that side outgrows L1.
template <class T>
void transpose_blocked(const T* src, std::int64_t src_stride, std::int64_t rows, std::int64_t cols, T* dst,
                       std::int64_t dst_stride) {
  constexpr std::int64_t kRows = 64 / sizeof(T), kCols = 256;
  for (std::int64_t c0 = 0; c0 < cols; c0 += kCols) {
    const std::int64_t c1 = std::min(cols, c0 + kCols);
    for (std::int64_t r0 = 0; r0 < rows; r0 += kRows) {
      const std::int64_t r1 = std::min(rows, r0 + kRows);
      for (std::int64_t r = r0; r < r1; ++r) {
        for (std::int64_t c = c0; c < c1; ++c) dst[c * dst_stride + r] = src[r * src_stride + c];
      }
    }
  }
}

}  // namespace tg::kernels
