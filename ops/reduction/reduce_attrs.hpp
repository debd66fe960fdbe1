// Helpers shared by the dim-reducing ops (sum, mean, max, amax, argmax, softmax, log_softmax).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tensor/shape.hpp"
#include "tensor/tensor.hpp"

namespace tg::detail {

struct ReduceAttrs {
  std::vector<std::int64_t> dims;  // as given by the caller (may be negative, empty = all)
  bool keepdim = false;
};

// g (the gradient of a reduction output) broadcast back to the input shape.
Tensor expand_reduced_grad(const Tensor& g, const Shape& input_shape, const ReduceAttrs& attrs);

// kernels::reduction_rows lays x out as [outer, inner] with the kept dims first and the
// reduced `dims` (wrapped, sorted) last. Returns a contiguous buffer of that layout viewed
// back in x's dim order (a strided view, no copy).
Tensor unpermute_rows(const Tensor& rows, const Shape& input_shape, const std::vector<std::int64_t>& dims);

// Throws ValueError naming `op` when the reduced block of `shape` over `dims` is empty
// (max, amax and argmax have no identity element).
void check_nonempty_reduction(std::string_view op, const Shape& shape, const std::vector<std::int64_t>& dims);

// The sum of x (numeric, wrapped sorted `dims`) with the deterministic block order of
// kernels::reduce_rows; divided by the reduced count when `mean`. Raw: for forwards.
Tensor sum_forward(std::string_view op, const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim,
                   bool mean);

// softmax (or log_softmax when `log`) of a float tensor along `dim`, computed per row after
// subtracting the row maximum. Raw: for the forwards of softmax and log_softmax.
Tensor softmax_forward(std::string_view op, const Tensor& x, std::int64_t dim, bool log);

// x - amax(x, dim, keepdim) with ops (x itself when empty): the shift of the softmax and
// log_softmax reference compositions.
Tensor max_shifted(const Tensor& x, std::int64_t dim);

}  // namespace tg::detail
