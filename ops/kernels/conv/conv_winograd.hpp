// 3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray,
// "Fast Algorithms for Convolutional Neural Networks", 2016): each 2x2 block of outputs of
// one channel pair takes 16 multiplications instead of 36,
//   Y = A^T [ (G g G^T) .* (B^T d B) ] A
// with g the 3x3 kernel, d the 4x4 input patch under the block, and
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
//   A^T = [1 1 1 0; 0 1 -1 -1].
// Summed over input channels, the 16 element-wise products become 16 GEMMs,
//   M[xi] = U[xi] . V[xi],  U[xi] = (G g G^T)[xi] as [C_out, C_in],  V[xi] = (B^T d B)[xi] as
//   [C_in, blocks],
// run by the packed GEMM: 2.25x fewer multiply-adds than any direct or im2col form.
// The transforms add and subtract, and G's halves only make quarters, so the result is
// exact on small integers (as the direct path is) and within a few ulps of it on floats.
// The ROT180 input gradient of a 3x3 stride-1 convolution is again one, so the rule runs
// here too, its weight transform reading the rotated kernel in place (ConvWeights).
#pragma once

#include "ops/kernels/conv/conv_reference_loops.hpp"
#include "ops/kernels/conv/conv_weights.hpp"

namespace tg::kernels {

// The shapes F(2x2, 3x3) computes: a 3x3 kernel at stride 1 and dilation 1 (any padding,
// groups and output layout).
bool conv2d_winograd_applies(const ConvLoopGeometry& g);

// True when conv2d_fast takes the Winograd path: the shape applies, with at least 16 channels
// per group on both sides (64 on the AVX-512 path), planes of 12 x 12 or more, and enough
// blocks in the batch to repay transforming the kernel; on AVX2 and the portable path also
// planes from 7 x 7 and fewer blocks (conv_winograd.cpp gives the measurements).
template <class T>
bool conv2d_winograd_suits(const ConvLoopGeometry& g);

// y = conv2d(x, w, b) by F(2x2, 3x3); requires conv2d_winograd_applies(g).
template <class T>
void conv2d_winograd(const T* x, ConvWeights<T> weights, const T* b, T* y, const ConvLoopGeometry& g);
template <class T>
void conv2d_winograd(const T* x, const T* w, const T* b, T* y, const ConvLoopGeometry& g);

// dw = the weight gradient by F(2x2, 3x3), the transpose of the forward's algorithm: with
// Z = A e A^T the transform of each 2x2 block e of dy (A = [1 0; 1 1; 1 -1; 0 -1]) and V
// the forward's input transform, dL/dU = sum over blocks of Z .* V, again 16 GEMMs (their
// inner dimension the blocks of a chunk of images), and dW = G^T (dL/dU) G. Exact on small
// integers (G^T's halves make quarters at most). The batch is cut into slices by shape
// alone, each summed chunk by chunk, and the slices added in order, so the bits do not
// depend on the thread count. Requires conv2d_winograd_applies(g).
template <class T>
void conv2d_weight_grad_winograd(const T* x, const T* dy, T* dw, const ConvLoopGeometry& g);
// True when conv2d_weight_grad_fast takes it: where the forward would, with 32 channels or
// more on one side.
template <class T>
bool conv2d_weight_grad_winograd_suits(const ConvLoopGeometry& g);

}  // namespace tg::kernels
