// Shape and stride arithmetic: the one home of broadcasting, dim wrapping and
// stride computation. Strides are counted in elements, not bytes.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace tg {

using Shape = std::vector<std::int64_t>;
using Strides = std::vector<std::int64_t>;

// A valid shape has no negative dim, and the product of its dims, with 0 counted as 1, is at
// most 2^63 - 1: then its element count and its contiguous strides fit in int64 (a tensor
// with zero elements still has strides). As in PyTorch, every tensor, view or not, has a
// valid shape; docs/overflow.md explains the rule.
bool is_valid_shape(const Shape& shape);
// Throws ShapeError naming `op` and the shape unless it is valid.
void check_shape(const Shape& shape, std::string_view op);

// The element count; ShapeError if it does not fit in int64.
std::int64_t numel(const Shape& shape);

// Row-major (C order) strides for `shape`.
Strides contiguous_strides(const Shape& shape);

// Maps a possibly negative dim into [0, rank); throws IndexError naming `op`.
std::int64_t wrap_dim(std::int64_t dim, std::int64_t rank, std::string_view op);

// Wraps every dim, rejects duplicates; an empty list means "all dims". Sorted ascending.
std::vector<std::int64_t> wrap_dims(const std::vector<std::int64_t>& dims, std::int64_t rank, std::string_view op);

// NumPy broadcasting of two shapes; throws ShapeError naming `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op);

// Strides that view a tensor of (shape, strides) as `target` (which `shape` broadcasts to):
// broadcast dims get stride 0. Throws ShapeError naming `op` if it does not broadcast.
Strides broadcast_strides(const Shape& shape, const Strides& strides, const Shape& target, std::string_view op);

// The dims of `grad_shape` that must be summed so a gradient of `grad_shape` becomes one of
// `input_shape` (the reverse of broadcasting). Leading extra dims are listed first.
struct SumToShapePlan {
  std::vector<std::int64_t> dims;  // dims of grad_shape to sum with keepdim=true
  std::int64_t leading = 0;        // number of leading dims to drop afterwards
};
SumToShapePlan sum_to_shape_plan(const Shape& grad_shape, const Shape& input_shape);

// Shape after reducing `dims` (already wrapped) with or without keepdim.
Shape reduced_shape(const Shape& shape, const std::vector<std::int64_t>& dims, bool keepdim);

// Resolves a single -1 entry of a reshape target; throws ShapeError naming `op`.
Shape infer_reshape(const Shape& from, Shape to, std::string_view op);

// Strides that view (shape, strides) as `target` without copying, or an empty vector when
// the memory layout does not allow it (then reshape must copy).
Strides view_strides(const Shape& shape, const Strides& strides, const Shape& target);

}  // namespace tg
