// Fast convolution kernels: the paths the conv ops run. Each is tested against the direct
// loops of conv.hpp (the oracle) over the same geometry sweep.
//
//   conv2d_fast             Winograd's F(2x2, 3x3) (conv_winograd.hpp) for wide 3x3 layers,
//                           the direct path (conv_direct.hpp) where it suits the shape, else
//                           conv2d_im2col_gemm: y = W . X_col per group, a packed GEMM whose
//                           B panels are filled with im2col patches on the fly.
//   conv2d_input_grad_fast  the ROT180 rule run by conv2d_fast: the hand-derived rule is the
//                           fast path (for strides > 1, one stride phase at a time; the
//                           GEMM and channel paths read the rotated kernel in place).
//   conv2d_weight_grad_fast Winograd's F(2x2, 3x3) for wide 3x3 layers, the direct path
//                           where it suits the shape, else
//                           conv2d_weight_grad_gemm: dW = dY . X_col^T per group, with X_col^T
//                           packed panel by panel. Either way the batch is reduced over a
//                           fixed partition in a fixed order.
// All take the same geometry as the oracle (negative padding and free output size
// included) and give bit-identical results for any thread count.
#pragma once

#include "ops/kernels/conv.hpp"

namespace tg::kernels {

template <class T>
void conv2d_fast(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g);

template <class T>
void conv2d_im2col_gemm(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g);

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

template <class T>
void conv2d_weight_grad_gemm(const T* x, const T* dy, T* dw, const ConvLoopGeometry& g);

}  // namespace tg::kernels
