// The kernel, reference mask and samples shared by tril and triu (mask_ops.hpp).
#include "ops/elementwise.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape/mask_ops.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/factories.hpp"
#include "tensor/parallel.hpp"

namespace tg::detail {

Tensor triangle_forward(std::string_view op, const Tensor& x, std::int64_t diagonal, bool lower) {
  TG_CHECK(x.dim() >= 2, ShapeError, "{}: needs at least 2 dims (a batch of matrices), got shape {}", op, x.shape());
  return visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t rows = x.size(-2), cols = x.size(-1);
    Tensor out = x.clone_as(x.dtype());  // a fresh contiguous copy, zeroed in place below
    if (out.numel() == 0) return out;
    T* data = out.data<T>();
    const std::int64_t matrix_rows = out.numel() / cols;  // every row of every matrix
    parallel_for(matrix_rows, std::max<std::int64_t>(1, 32768 / cols), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t r = begin; r < end; ++r) {
        const std::int64_t i = r % rows;
        T* row = data + r * cols;
        // tril keeps j <= i + diagonal, triu keeps j >= i + diagonal.
        const std::int64_t edge = std::clamp<std::int64_t>(i + diagonal + (lower ? 1 : 0), 0, cols);
        for (std::int64_t j = lower ? edge : 0; j < (lower ? cols : edge); ++j) row[j] = T{};
      }
    });
    return out;
  });
}

Tensor triangle_keep_mask(std::int64_t rows, std::int64_t cols, std::int64_t diagonal, bool lower) {
  const Tensor i = reshape(arange(static_cast<double>(rows), {.dtype = DType::Int64}), {rows, 1});
  const Tensor j = reshape(arange(static_cast<double>(cols), {.dtype = DType::Int64}), {1, cols});
  const Tensor offset = j - i;
  const Tensor d = scalar_like(offset, static_cast<double>(diagonal));
  return lower ? le(offset, d) : ge(offset, d);
}

Tensor triangle_composition(const Tensor& x, std::int64_t diagonal, bool lower) {
  const Tensor keep = triangle_keep_mask(x.size(-2), x.size(-1), diagonal, lower);
  return where(keep, x, scalar_like(x, 0.0));
}

std::vector<OpSample<std::int64_t>> triangle_samples(std::uint64_t seed, bool lower) {
  Generator gen(seed);
  Tensor base = samples::arg({4, 3, 2}, gen);
  Tensor strided = raw::as_strided(base.detach(), {2, 3, 4}, {1, 2, 6}, 0).set_requires_grad(true);
  return {
      {"[4, 4] diagonal 0", {samples::arg({4, 4}, gen)}, std::int64_t{0}},
      {"[3, 5] diagonal 1", {samples::arg({3, 5}, gen)}, std::int64_t{1}},
      {"[5, 3] diagonal -2", {samples::arg({5, 3}, gen)}, std::int64_t{-2}},
      {"[2, 3, 4] non-contiguous, diagonal 0", {strided}, std::int64_t{0}},
      // A diagonal beyond the corner keeps the whole matrix.
      {"[3, 3] diagonal beyond the corner", {samples::arg({3, 3}, gen)}, std::int64_t{lower ? 7 : -7}},
      {"[2, 0, 3] (empty)", {samples::arg({2, 0, 3}, gen)}, std::int64_t{0}},
      {.label = "[4] (rejected: 1-D)",
       .inputs = {samples::arg({4}, gen)},
       .attrs = std::int64_t{0},
       .rejects = &typeid(ShapeError)},
  };
}

}  // namespace tg::detail
