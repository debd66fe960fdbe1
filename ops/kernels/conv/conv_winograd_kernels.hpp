// Internal interface between the Winograd driver (conv_winograd.cpp) and its transforms,
// compiled once per instruction set (conv_winograd_{portable,avx2,avx512}.cpp).
#pragma once

#include <algorithm>
#include <cstdint>

#include "ops/kernels/conv/conv_reference_loops.hpp"
#include "ops/kernels/conv/conv_weights.hpp"
#include "ops/kernels/int_math.hpp"

namespace tg::kernels::winograd_detail {

inline constexpr std::int64_t kPoints = 16;  // 4x4 transformed points per 2x2 output block

// The 2x2 output blocks of one image: block (by, bx) holds outputs at rows 2 * by + {0, 1}
// and columns 2 * bx + {0, 1}; the image's blocks are numbered by * cols + bx.
struct Blocks {
  std::int64_t rows, cols, per_image;
  explicit Blocks(const ConvLoopGeometry& g)
      : rows(ceil_div(g.out_h, 2)), cols(ceil_div(g.out_w, 2)), per_image(rows * cols) {}
};

// Transformed data is stored point-major: point xi of (channel, block) at
// data[xi * point + channel * ld + block], `point` apart from one point to the next.
template <class T>
struct Transforms {
  // U[xi] for output channels [k0, k0 + rows) of group grp and every input channel c, in
  // strips of `strip` as the GEMM packs its A operand: k of strip s = (k - k0) / strip at
  // u[xi * point + (s * cin_g + c) * strip + (k - k0) % strip], zero for k >= cout_g.
  // Scratch: weights_scratch(weights_span(weights.rot180, rows, strip), strip).
  void (*weights)(ConvWeights<T> weights, const ConvLoopGeometry& g, std::int64_t grp, std::int64_t k0,
                  std::int64_t rows, std::int64_t strip, T* u, std::int64_t point, T* scratch);
  // V[xi] of one input plane, for the image's blocks from v. Scratch: input_scratch(g).
  void (*input)(const T* plane, const ConvLoopGeometry& g, T* v, std::int64_t point, T* scratch);
  // One output plane (in g's output layout) from M[xi] of the image's blocks at m, plus the
  // bias. Scratch: output_scratch(g).
  void (*output)(const T* m, std::int64_t point, T bias, const ConvLoopGeometry& g, T* y, T* scratch);
  // The weight gradient's transforms: Z[xi] = (A e A^T)[xi] of one dy plane's blocks e,
  // from z (scratch: output_grad_scratch(g)); and dW of output channel k of group grp, every
  // input channel, from the summed products M[xi] ([k][c], k's row at m).
  void (*output_grad)(const T* dy, const ConvLoopGeometry& g, T* z, std::int64_t point, T* scratch);
  void (*kernel_grad)(const T* m, std::int64_t point, const ConvLoopGeometry& g, std::int64_t grp, std::int64_t k,
                      T* dw);
};

// The output channels whose kernels one pack gathers, for a run of `rows` in strips of
// `strip`: a strip as stored, the whole run rotated (conv_winograd_tile.hpp says why).
inline std::int64_t weights_span(bool rot180, std::int64_t rows, std::int64_t strip) {
  return rot180 ? round_up(rows, strip) : strip;
}
// The input channels whose kernels one pack gathers for `span` output channels: 16, or
// fewer so that their taps stay within 64 K elements (in L2 when the strips read them back).
inline std::int64_t weights_channels(std::int64_t span, std::int64_t strip) {
  constexpr std::int64_t kMaxChannels = 16, kMaxTaps = 64 << 10;
  return std::clamp<std::int64_t>(kMaxTaps / (9 * round_up(span, strip)), 1, kMaxChannels);
}
// The gathered taps and one strip's of them tap-major.
inline std::int64_t weights_scratch(std::int64_t span, std::int64_t strip) {
  return weights_channels(span, strip) * 9 * (round_up(span, strip) + strip);
}
inline std::int64_t input_scratch(const ConvLoopGeometry& g) {
  const Blocks blocks(g);
  return 2 * (blocks.cols + 1) + 8 * (blocks.rows + 1) * blocks.cols;  // one split row; d B of them all
}
inline std::int64_t output_scratch(const ConvLoopGeometry& g) { return 4 * Blocks(g).per_image; }
inline std::int64_t output_grad_scratch(const ConvLoopGeometry& g) {
  return 2 * Blocks(g).cols + 8 * Blocks(g).per_image;  // one dy row split; e A^T of them all
}

template <class T>
const Transforms<T>& portable_transforms();
template <class T>
const Transforms<T>& avx2_transforms();
template <class T>
const Transforms<T>& avx512_transforms();

}  // namespace tg::kernels::winograd_detail
