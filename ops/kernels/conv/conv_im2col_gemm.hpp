// The im2col-GEMM path of convolution: per group, y = W . X_col, dW = dY . X_col^T and
// dx = col2im(W^T . dY) by the packed GEMM (gemm.hpp), the im2col matrix X_col (im2col.hpp)
// packed panel by panel on the fly.
// conv_dispatch.hpp says when it runs.
#pragma once

#include <cstdint>

#include "ops/kernels/conv/conv_reference_loops.hpp"
#include "ops/kernels/conv/conv_weights.hpp"

namespace tg::kernels {

template <class T>
void conv2d_im2col_gemm(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g);
// The same with the weights as a ConvWeights (the input gradient's rotated kernel read in
// place), for a geometry the caller has checked is not trivial (conv2d_forward_trivial).
template <class T>
void conv2d_im2col_gemm(const T* x, ConvWeights<T> weights, const T* b, T* y, const ConvLoopGeometry& g);

// Whether conv2d_input_grad_fast takes conv2d_input_grad_col2im: at a stride, with the
// product's depth (C_out per group) at 64 or more. Then one deep GEMM per chunk of images
// beats the s*s stride phases' short correlations (ResNet-18's stride-2 layers on a Zen 3,
// AVX2: 1.2-1.8x); with fewer output channels Z is written and scattered for too little work
// (16 -> 32 channels, 5x5/2: 0.8x).
bool conv2d_input_grad_col2im_suits(const ConvLoopGeometry& g);

// The input gradient as dx = col2im(W^T . dY) per group and chunk of images (see
// conv_im2col_gemm.cpp), each product W^T . dY of at most max_product elements where a whole
// output row allows (fewer images, or one image's output rows in bands).
constexpr std::int64_t kCol2imMaxProduct = std::int64_t{1} << 21;
template <class T>
void conv2d_input_grad_col2im(const T* dy, const T* w, T* dx, const ConvLoopGeometry& g,
                              std::int64_t max_product = kCol2imMaxProduct);

template <class T>
void conv2d_weight_grad_gemm(const T* x, const T* dy, T* dw, const ConvLoopGeometry& g);

}  // namespace tg::kernels
