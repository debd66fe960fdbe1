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
// softmax's gradient map: grad * J at output y = softmax(x, dim), i.e.
// output * (grad - sum(grad * output, dim, keepdim)). Differentiable twice and more.
Tensor softmax_backward(const Tensor& grad, const Tensor& output, std::int64_t dim);

// min / amin mirror max / amax: the gradient goes to the first minimal element (min) or is
// split evenly among all minimal elements (amin).
Tensor min(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
// Variance and standard deviation over dims (empty = all), dividing the sum of squared
// deviations by n - 1 (unbiased) or n. Two-pass. One element with unbiased = true gives
// NaN (0 / 0), as in PyTorch; so does an empty block. std_dev's gradient is NaN where it is 0.
// (std_dev is torch.std: a function named std would make every unqualified call ambiguous
// with namespace std under `using namespace tg`.)
Tensor var(const Tensor& x, const Dims& dims = {}, bool unbiased = true, bool keepdim = false);
Tensor std_dev(const Tensor& x, const Dims& dims = {}, bool unbiased = true, bool keepdim = false);
// The vector p-norm over dims for p = 1, 2 or infinity (ValueError otherwise). Gradient 0 at
// x = 0 (p = 2: where the whole norm is 0); the inf-norm's gradient is split among ties.
Tensor norm(const Tensor& x, double p = 2.0, const Dims& dims = {}, bool keepdim = false);
// log(sum(exp(x))) over dims, stable (max-shifted). A block of -inf gives -inf (gradient 0).
Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim = false);
// Running sum along dim; bool counts as int64.
Tensor cumsum(const Tensor& x, std::int64_t dim);

struct SortResult {
  Tensor values;   // gather(x, dim, indices): differentiable
  Tensor indices;  // int64
};
// Sorts each lane along dim; stable (equal values keep their order, in both directions);
// NaN counts as the largest value.
SortResult sort(const Tensor& x, std::int64_t dim = -1, bool descending = false);
Tensor argsort(const Tensor& x, std::int64_t dim = -1, bool descending = false);  // sort's indices
// The k largest (or smallest) along dim, best first; ties go to the earlier element. The
// result is always sorted (`sorted` = false allows any order, so sorted is one of them).
// ValueError unless 0 <= k <= size of dim.
SortResult topk(const Tensor& x, std::int64_t k, std::int64_t dim = -1, bool largest = true, bool sorted = true);

// Sums a broadcast gradient back to `shape` (the transpose of broadcasting).
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace tg
