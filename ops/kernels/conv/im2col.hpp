// The im2col matrix of a convolution, built block by block.
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

}  // namespace tg::kernels
