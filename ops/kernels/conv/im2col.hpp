// The im2col matrix of a convolution, built block by block, and its transpose (col2im).
//
// For group `group` and images [n0, n0 + images), the im2col matrix X_col has one row per
// kernel tap q = (c, u, v) of the group's input channels (c < C_in/groups) and one column
// per output pixel col = (n - n0, i, j):
//   X_col[q, col] = x[n, group*Cg + c, i*sh + u*dh - pad_top, j*sw + v*dw - pad_left]
// (zero outside the input). Then y = W . X_col per group, and dW = dY . X_col^T.
// Building only the block a GEMM panel needs keeps the whole matrix from being
// materialised: it is up to kH*kW times larger than the input.
#pragma once

#include <cstdint>

#include "ops/kernels/conv/conv_reference_loops.hpp"

namespace tg::kernels {

// dst[(q - q0) * ld + (col - col0)] = X_col[q, col] for q in [q0, q0 + rows) and
// col in [col0, col0 + cols); x is the whole contiguous NCHW input.
template <class T>
void im2col_block(const T* x, const ConvLoopGeometry& g, std::int64_t group, std::int64_t n0, std::int64_t q0,
                  std::int64_t rows, std::int64_t col0, std::int64_t cols, T* dst, std::int64_t ld);

// The same block packed as the GEMM's B panels of width nr (gemm.hpp's PackBPanel):
//   dst[(s * rows + p) * nr + j] = X_col[q0 + p, col0 + s * nr + j], zero past col0 + cols.
template <class T>
void im2col_pack_panels(const T* x, const ConvLoopGeometry& g, std::int64_t group, std::int64_t n0, std::int64_t q0,
                        std::int64_t rows, std::int64_t col0, std::int64_t cols, T* dst, std::int64_t nr);

// The transpose of im2col for one image of one group, for the output rows [i0, i0 + rows):
//   dx_g[c, i*sh + u*dh - pad_top, j*sw + v*dw - pad_left] += cols[q * ld + (i - i0) * out_w + j]
// for every tap q = (c, u, v) of the group's input channels c in [c_begin, c_end) and every
// output pixel (i, j) whose target lies in the input; dx_g is the group's C_in/groups
// contiguous planes of one image. The adds into each dx element come in (q, i, j) order, and
// a channel's plane takes only its own taps, so channel ranges can run on separate threads.
template <class T>
void col2im_add(const T* cols, std::int64_t ld, const ConvLoopGeometry& g, std::int64_t i0, std::int64_t rows,
                std::int64_t c_begin, std::int64_t c_end, T* dx_g);

}  // namespace tg::kernels
