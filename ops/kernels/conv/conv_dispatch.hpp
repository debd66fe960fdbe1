// Which path a convolution runs: the entry points the conv ops call (ops/conv/conv_common).
// Every path takes the geometry of the reference loops (conv_reference_loops.hpp, the oracle
// each path is tested against; negative padding and free output size included) and gives
// bit-identical results for any thread count.
//
//   conv2d_fast              the first path that suits the geometry, in this order:
//     Winograd   F(2x2, 3x3) (conv_winograd.hpp): wide 3x3 stride-1 layers;
//     channel    direct convolution, vectors across output channels (conv_direct.hpp,
//                conv_channel.cpp): 12-128 channels and more on wide rows;
//     direct     direct convolution, vectors along output rows (conv_direct.hpp): few
//                channels or short kernels on rows that fill a vector;
//     im2col-GEMM y = W . X_col per group (conv_im2col_gemm.hpp): everything else.
//   conv2d_input_grad_fast   the ROT180 rule on the path conv2d_fast would take for the
//                            rule's correlation. For strides > 1, col2im(W^T . dY)
//                            (conv_im2col_gemm.hpp) with 64 or more output channels per
//                            group, else one stride phase at a time (conv_polyphase.cpp).
//                            The GEMM, channel and Winograd paths read the rotated kernel
//                            in place.
//   conv2d_weight_grad_fast  Winograd, channel, direct, else im2col-GEMM (dW = dY . X_col^T),
//                            by the same kind of test; the batch is reduced over a fixed
//                            partition in a fixed order.
// Whether a path suits depends on the shape and on the SIMD path (simd_path.hpp) only.
#pragma once

#include "ops/kernels/conv/conv_im2col_gemm.hpp"
#include "ops/kernels/conv/conv_reference_loops.hpp"

namespace tg::kernels {

template <class T>
void conv2d_fast(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g);

// The ROT180 rule one stride phase at a time (see conv_polyphase.cpp): for stride s, each of
// the s*s phases of dx is the undilated dy correlated with a rotated sub-kernel, so none of
// the dilated dy's zeros are multiplied. Each phase is written in place into dx through the
// geometry's strided output layout, which `forward` must honour (every routine here does).
// Equal to conv2d_input_grad_via for any stride.
template <class T>
void conv2d_input_grad_polyphase(ConvForwardFn<T> forward, const T* dy, const T* w, T* dx, const ConvLoopGeometry& g);

// The ROT180 rule on conv2d_fast's path for the rule's correlation. At stride 1 on the GEMM
// and channel paths the rotated, channel-swapped kernel is never built: their weight packing
// reads w in rotated order. Strides > 1 go one phase at a time.
template <class T>
void conv2d_input_grad_fast(const T* dy, const T* w, T* dx, const ConvLoopGeometry& g);

// The ROT180 rule run by conv2d_im2col_gemm or by conv2d_direct_channels: at stride 1 one
// correlation whose packing reads w rotated in place (conv_weights.hpp), else one stride
// phase at a time.
template <class T>
void conv2d_input_grad_gemm(const T* dy, const T* w, T* dx, const ConvLoopGeometry& g);
template <class T>
void conv2d_input_grad_channels(const T* dy, const T* w, T* dx, const ConvLoopGeometry& g);

// The ROT180 rule by Winograd's F(2x2, 3x3) (conv_winograd.hpp), the rotated kernel read in
// place by its weight transform; requires a 3x3 kernel at stride 1 and dilation 1 (the rule's
// correlation is then one too).
template <class T>
void conv2d_input_grad_winograd(const T* dy, const T* w, T* dx, const ConvLoopGeometry& g);

template <class T>
void conv2d_weight_grad_fast(const T* x, const T* dy, T* dw, const ConvLoopGeometry& g);

}  // namespace tg::kernels
