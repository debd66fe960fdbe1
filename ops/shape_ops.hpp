// Shape, view and indexing ops. Views share storage with their input (no copy); all
// are differentiable.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.hpp"

namespace tg {

Tensor reshape(const Tensor& x, const Shape& shape);  // view when strides allow, else copy
Tensor flatten(const Tensor& x, std::int64_t start_dim = 0, std::int64_t end_dim = -1);
Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims);
Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1);
Tensor expand(const Tensor& x, const Shape& shape);  // -1 keeps a dim; stride-0 view
Tensor squeeze(const Tensor& x, std::int64_t dim);
Tensor unsqueeze(const Tensor& x, std::int64_t dim);
// Python-style x[start:stop:step] along dim: negative start/stop count from the end and are
// clamped to the size; step >= 1.
Tensor slice(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t stop, std::int64_t step = 1);
Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length);
// Constant padding, PyTorch order: {left, right} of the last dim, then {top, bottom} of the
// one before, ... Negative pads crop.
Tensor pad(const Tensor& x, const std::vector<std::int64_t>& pads, double value = 0.0);
Tensor flip(const Tensor& x, const std::vector<std::int64_t>& dims);
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);  // index: 1-D int64
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);        // index: int64, same rank
Tensor contiguous(const Tensor& x);  // x itself if already contiguous, else a recorded copy

// Masks. masked_fill: `value` where mask (bool, broadcast to x's shape) is true, else x; the
// gradient flows where the mask is false. tril / triu: the lower / upper triangle of the last
// two dims (leading dims are a batch), the rest zero: element (i, j) is kept when
// j - i <= diagonal (tril) or j - i >= diagonal (triu); diagonal 0 is the main diagonal.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
Tensor tril(const Tensor& x, std::int64_t diagonal = 0);
Tensor triu(const Tensor& x, std::int64_t diagonal = 0);

// Adjoints of the indexing ops, used by their backward rules (each is a registered,
// differentiable op). `input_shape` is the shape of the tensor that was indexed.
// slice_backward: zeros(input_shape) with g written at start, start + step, ... along dim
// (dim wrapped, start resolved, as slice computes them).
Tensor slice_backward(const Tensor& g, const Shape& input_shape, std::int64_t dim, std::int64_t start,
                      std::int64_t step);
// index_select_backward: zeros(input_shape) with g's slices added at index[i] along dim.
Tensor index_select_backward(const Tensor& g, const Shape& input_shape, std::int64_t dim, const Tensor& index);
// gather_backward: zeros(input_shape) with g scatter-added where gather read (scatter_add).
Tensor gather_backward(const Tensor& g, const Shape& input_shape, std::int64_t dim, const Tensor& index);

}  // namespace tg
