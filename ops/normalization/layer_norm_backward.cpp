// The first-order gradients of layer_norm in one kernel (the rule is derived in
// docs/attention.md): per row, with x_hat = (x - mean) rstd and dy_hat = dy * weight,
//   dx = rstd * (dy_hat - mean_j(dy_hat) - x_hat * mean_j(dy_hat * x_hat)),
// and over the rows dweight = sum_r(dy * x_hat), dbias = sum_r(dy). Rows are cut into a
// fixed number of blocks (from the shape alone); each block sums its rows in order into a
// partial of its own and the partials are added in block order, so dweight and dbias are
// the same bits for any thread count. The per-row work is ops/kernels/math/layer_norm_rows.hpp
// (row sums over fixed lanes: the same bits on every SIMD path). Used when the backward is not recorded; under
// create_graph layer_norm.cpp writes the same formula with ops.
#include <algorithm>
#include <vector>

#include "ops/kernels/math/layer_norm_rows.hpp"
#include "ops/kernels/scratch.hpp"
#include "ops/normalization/normalization_ops.hpp"
#include "tensor/parallel.hpp"

namespace tg::detail {

namespace {

// Rows per block: enough work per block to be worth a task, at most 64 blocks (partials).
std::int64_t rows_per_block(std::int64_t rows, std::int64_t n) {
  const std::int64_t by_work = std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(n, 1));
  return std::max(by_work, (rows + 63) / 64);
}

template <class T>
void layer_norm_grads(const kernels::LayerNormBackwardRows<T>& all, T* dw, T* db) {
  const std::int64_t rows = all.rows, n = all.n;
  const std::int64_t per_block = rows_per_block(rows, n);
  const std::int64_t blocks = (rows + per_block - 1) / per_block;
  const bool params = dw != nullptr || db != nullptr;
  // Per block: its partial sums of dy * x_hat (first n) and of dy (next n). Scratch memory,
  // not a fresh vector: page faults on a new buffer each call cost more than the sums.
  kernels::ScratchLease lease;
  double* const partials = params ? lease.array<double>(blocks * 2 * n) : nullptr;
  if (params) std::fill_n(partials, blocks * 2 * n, 0.0);
  parallel_for(blocks, 1, [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t blk = b0; blk < b1; ++blk) {
      const std::int64_t first = blk * per_block;
      kernels::LayerNormBackwardRows<T> part = all;
      part.dy += first * n;
      part.x += first * n;
      part.stats += 2 * first;
      if (part.dx != nullptr) part.dx += first * n;
      part.dweight_sum = params ? partials + blk * 2 * n : nullptr;
      part.dbias_sum = params ? partials + blk * 2 * n + n : nullptr;
      part.rows = std::min(rows, first + per_block) - first;
      kernels::layer_norm_backward_rows(part);
    }
  });
  if (!params) return;
  // The partials added in block order (the same order for every j, whatever the threads).
  std::vector<double> sums(static_cast<std::size_t>(2 * n), 0.0);
  for (std::int64_t blk = 0; blk < blocks; ++blk) {
    const double* partial = partials + blk * 2 * n;
    for (std::int64_t j = 0; j < 2 * n; ++j) sums[j] += partial[j];
  }
  for (std::int64_t j = 0; j < n; ++j) {
    if (dw != nullptr) dw[j] = static_cast<T>(sums[j]);
    if (db != nullptr) db[j] = static_cast<T>(sums[n + j]);
  }
}

}  // namespace

std::vector<Tensor> layer_norm_backward_fused(const Tensor& dy, const Tensor& x, const Tensor& weight,
                                              const LayerNormAttrs& attrs, const std::vector<bool>& needs,
                                              const Tensor& stats) {
  const LayerNormRows r = layer_norm_rows("layer_norm backward", x, attrs.normalized_shape);
  return visit_floating(x.dtype(), "layer_norm backward", [&](auto tag) -> std::vector<Tensor> {
    using T = decltype(tag);
    const Tensor dyc = raw::contiguous(dy);
    const Tensor xc = raw::contiguous(x);
    const Tensor wc = weight.defined() ? raw::contiguous(weight) : Tensor();
    const TensorOptions opts{.dtype = x.dtype()};
    Tensor dx = needs[0] ? empty(x.shape(), opts) : Tensor();
    // Zeros: with no rows the sums are empty.
    Tensor dw = needs[1] ? zeros(attrs.normalized_shape, opts) : Tensor();
    Tensor db = needs[2] ? zeros(attrs.normalized_shape, opts) : Tensor();
    if (r.rows == 0) return {dx, dw, db};
    layer_norm_grads<T>({.dy = dyc.data<T>(),
                         .x = xc.data<T>(),
                         .weight = wc.defined() ? wc.data<T>() : nullptr,
                         .stats = stats.data<double>(),
                         .dx = dx.defined() ? dx.data<T>() : nullptr,
                         .rows = r.rows,
                         .n = r.n},
                        dw.defined() ? dw.data<T>() : nullptr, db.defined() ? db.data<T>() : nullptr);
    return {dx, dw, db};
  });
}

}  // namespace tg::detail
