// Reductions over any set of dims (empty = all dims), with keepdim. Results are
// deterministic: the same bits for any thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.hpp"

namespace tg {

using Dims = std::vector<std::int64_t>;

Tensor sum(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
// max: the gradient goes to the first maximal element (row-major within the reduced block).
Tensor max(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
// amax: the gradient is split evenly among all maximal elements.
Tensor amax(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false);  // int64, not differentiable
Tensor softmax(const Tensor& x, std::int64_t dim);
Tensor log_softmax(const Tensor& x, std::int64_t dim);

// Sums a broadcast gradient back to `shape` (the transpose of broadcasting).
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace tg
