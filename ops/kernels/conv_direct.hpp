// Direct convolution, vectorised along output rows: the fast path for layers the packed
// GEMM serves badly: few output channels (a GEMM row tile is 6-8 channels wide, so one
// channel wastes most of it) or short kernels (im2col packing then costs more than the
// multiply-adds). LeNet's 1->6 and 6->16 layers, and their ROT180 input gradients with one or
// six output channels, are the typical users.
//
// Each task pads one image's group of input planes into scratch (zeros around, so the inner
// loop has no bounds checks), then sweeps blocks of up to 4 vectors of output columns by
// blocks of output channels, keeping the accumulators in registers: one vector load of
// the input feeds one multiply-add per channel of the block.
#pragma once

#include <cstdint>

#include "ops/kernels/conv.hpp"

namespace tg::kernels {

// True when conv2d_fast takes the direct path for this geometry (on the current SIMD path):
// unit column stride, rows that fill most of a vector, and few channels or a short kernel.
template <class T>
bool conv2d_direct_suits(const ConvLoopGeometry& g);

// y = conv2d(x, w, b) by the direct path; requires stride_w == 1.
template <class T>
void conv2d_direct(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g);

// dw = the weight gradient by the direct path (same conditions): for each block of output
// channels and kernel taps, vector products of dy rows with input rows accumulate in
// registers and are summed across lanes once per image. Images are reduced over a fixed
// partition in a fixed order.
template <class T>
void conv2d_weight_grad_direct(const T* x, const T* dy, T* dw, const ConvLoopGeometry& g);

namespace conv_detail {

// One register tile: output channels [k0, k0 + kb) of one image, columns [j0, j0 + nv*W)
// of every output row (only `cols` of them stored).
template <class T>
struct DirectTile {
  const T* xp;               // padded input planes of the group, [cin_g][hp][wp], at column j0
  std::int64_t hp, wp;
  const T* w;                // weights of channels [k0, k0 + kb), packed tap-major: [cin_g][kh][kw][kb]
  std::int64_t cin_g, kh, kw, dil_h, dil_w, stride_h;
  const T* bias;             // bias of channel k0 (kb values), or null
  T* y;                      // output of channel k0 at row 0, column j0
  std::int64_t y_plane, out_h, out_w, cols;
};

// One weight-gradient register tile: channels [k0, k0 + kb) by `taps` kernel taps, over one
// image, accumulated lane-wise: for each lane l,
//   out[(k * out_k_stride + t) * W + l] += sum_{i, j = l mod W} dy[k0 + k, i, j] * x_tap_t(i, j).
// Lanes are summed once, after the last image.
template <class T>
struct WeightGradTile {
  const T* xp;                      // padded input planes of the group (as DirectTile, column 0)
  std::int64_t wp, stride_h;
  const std::int64_t* tap_offsets;  // offset in xp of each tap's window origin
  const T* dyp;                     // dy of channel k0, rows padded to `vectors` vectors with zeros
  std::int64_t dy_plane, out_h, vectors;
  T* out;                           // vector partial sums of channel k0, first tap
  std::int64_t out_k_stride;        // in vectors
};

template <class T>
struct DirectKernel {
  std::int64_t lanes;    // W: elements per vector
  std::int64_t max_acc;  // accumulator registers: kb * nv <= max_acc
  void (*run)(const DirectTile<T>& tile, std::int64_t kb, std::int64_t nv);
  std::int64_t wgrad_kb, wgrad_taps;  // largest weight-gradient tile
  void (*run_wgrad)(const WeightGradTile<T>& tile, std::int64_t kb, std::int64_t taps);
};

template <class T>
const DirectKernel<T>& direct_portable();
template <class T>
const DirectKernel<T>& direct_avx2();
template <class T>
const DirectKernel<T>& direct_avx512();

}  // namespace conv_detail
}  // namespace tg::kernels
