// Building blocks of the reference compositions: every function here is written with
// registered ops only (pad, slice, reshape, eq, cast, ...), so a composition built from
// them is differentiable and independent of the kernels of the op it checks.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/conv.hpp"
#include "tensor/tensor.hpp"

namespace tg::compose {

// Inserts step - 1 zeros between neighbours along dim: length n becomes (n - 1) * step + 1
// (0 stays 0).
Tensor dilate(const Tensor& x, std::int64_t dim, std::int64_t step);

// Pads dim alone by `before` and `after` elements of `value` (negative amounts crop).
Tensor pad_dim(const Tensor& x, std::int64_t dim, std::int64_t before, std::int64_t after, double value = 0.0);

// 1 where index == c along a new last dim of num_classes entries c, else 0, in `dtype`.
Tensor one_hot(const Tensor& index, std::int64_t num_classes, DType dtype);

// The sliding windows of convolution and pooling over dims 2 and 3 (H, W): window (i, j)
// reads rows i * stride + u * dilation and columns likewise of the input padded by
// pad_begin before and pad_end after (pad_end covers the rows ceil_mode's last windows
// reach past the padding).
struct Windows {
  Pair2 kernel;
  Pair2 stride;
  Pair2 dilation;
  Pair2 out;
  Pair2 pad_begin;
  Pair2 pad_end;
};
Windows windows(Pair2 input_size, Pair2 kernel, Pair2 stride, Pair2 padding, Pair2 dilation, Pair2 out);
Windows pool_windows(Pair2 input_size, const Pool2dOptions& options, Pair2 out);

// x [.., H, W] padded (with `value`) as the windows need, and its inverse (a crop).
Tensor pad_for(const Tensor& x, const Windows& w, double value = 0.0);
Tensor crop_for(const Tensor& padded, const Windows& w);

// One [.., out.h, out.w] strided slice of the padded input per kernel tap (u, v), in
// row-major tap order: taps[u * kernel.w + v][.., i, j] is element (u, v) of window (i, j).
std::vector<Tensor> taps(const Tensor& padded, const Windows& w);

// The adjoint of x -> sum of taps(x): g [.., out.h, out.w] put back at every tap's place
// in a zero tensor of the padded input's size and summed.
Tensor taps_adjoint(const Tensor& g, const Windows& w, Pair2 padded_size);

// The number of elements in each window [out.h, out.w] of an input_size input: input
// elements only, or (count_padding) also the padding, but never ceil_mode's extra rows.
Tensor window_counts(Pair2 input_size, const Windows& w, bool count_padding, DType dtype);

// The [out, in] matrix averaging the adaptive-pooling windows
// [floor(i * in / out), ceil((i + 1) * in / out)) of a length-`in` axis (a constant).
Tensor adaptive_average_matrix(std::int64_t in, std::int64_t out, DType dtype);

// conv2d's input gradient by the ROT180 rule, with conv2d itself: dy [N, C_out, Ho, Wo]
// dilated by the stride, padded by d(k-1) - p before and to `input_size` after, correlated
// (dilation d, same groups) with the kernel rotated by 180 degrees and C_in / C_out swapped
// per group. conv_transpose2d is the same map.
Tensor rot180_input_grad(const Tensor& dy, const Tensor& weight, Pair2 input_size, const Conv2dOptions& options);

}  // namespace tg::compose
