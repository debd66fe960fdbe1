// The im2col-GEMM path of convolution: per group, y = W . X_col and dW = dY . X_col^T by the
// packed GEMM (gemm.hpp), the im2col matrix X_col (im2col.hpp) packed panel by panel on the fly.
// conv_dispatch.hpp says when it runs.
#pragma once

#include "ops/kernels/conv/conv_reference_loops.hpp"
#include "ops/kernels/conv/conv_weights.hpp"

namespace tg::kernels {

template <class T>
void conv2d_im2col_gemm(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g);
// The same with the weights as a ConvWeights (the input gradient's rotated kernel read in
// place), for a geometry the caller has checked is not trivial (conv2d_forward_trivial).
template <class T>
void conv2d_im2col_gemm(const T* x, ConvWeights<T> weights, const T* b, T* y, const ConvLoopGeometry& g);

template <class T>
void conv2d_weight_grad_gemm(const T* x, const T* dy, T* dw, const ConvLoopGeometry& g);

}  // namespace tg::kernels
