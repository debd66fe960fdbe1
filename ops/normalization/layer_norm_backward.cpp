// The first-order gradients of layer_norm in one kernel (the rule is derived in
// docs/attention.md): per row, with x_hat = (x - mean) rstd and dy_hat = dy * weight,
//   dx = rstd * (dy_hat - mean_j(dy_hat) - x_hat * mean_j(dy_hat * x_hat)),
// and over the rows dweight = sum_r(dy * x_hat), dbias = sum_r(dy). Rows are cut into a
// fixed number of blocks (from the shape alone); each block sums its rows in order into a
// partial of its own and the partials are added in block order, so dweight and dbias are
// the same bits for any thread count. Used when the backward is not recorded; under
// create_graph layer_norm.cpp writes the same formula with ops.
#include <cmath>
#include <vector>

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
void layer_norm_grads(const T* dy, const T* x, const T* w, std::int64_t rows, std::int64_t n, double eps, T* dx, T* dw,
                      T* db) {
  const std::int64_t per_block = rows_per_block(rows, n);
  const std::int64_t blocks = (rows + per_block - 1) / per_block;
  const bool params = dw != nullptr || db != nullptr;
  // Per block: its partial sums of dy * x_hat (first n) and of dy (next n).
  std::vector<double> partials(params ? static_cast<std::size_t>(blocks * 2 * n) : 0, 0.0);
  parallel_for(blocks, 1, [&](std::int64_t b0, std::int64_t b1) {
    std::vector<double> x_hat(static_cast<std::size_t>(n));
    for (std::int64_t blk = b0; blk < b1; ++blk) {
      double* pw = params ? partials.data() + blk * 2 * n : nullptr;
      for (std::int64_t i = blk * per_block; i < std::min(rows, (blk + 1) * per_block); ++i) {
        const T* xr = x + i * n;
        const T* gr = dy + i * n;
        const auto [mean, rstd] = layer_norm_row_stats(xr, n, eps);
        double sum_dyh = 0.0, sum_dyh_xhat = 0.0;
        for (std::int64_t j = 0; j < n; ++j) {
          x_hat[j] = (static_cast<double>(xr[j]) - mean) * rstd;
          const double dyh = static_cast<double>(gr[j]) * (w != nullptr ? static_cast<double>(w[j]) : 1.0);
          sum_dyh += dyh;
          sum_dyh_xhat += dyh * x_hat[j];
        }
        if (pw != nullptr) {
          for (std::int64_t j = 0; j < n; ++j) {
            pw[j] += static_cast<double>(gr[j]) * x_hat[j];
            pw[n + j] += static_cast<double>(gr[j]);
          }
        }
        if (dx == nullptr) continue;
        const double mean_dyh = sum_dyh / static_cast<double>(n);
        const double mean_dyh_xhat = sum_dyh_xhat / static_cast<double>(n);
        T* out = dx + i * n;
        for (std::int64_t j = 0; j < n; ++j) {
          const double dyh = static_cast<double>(gr[j]) * (w != nullptr ? static_cast<double>(w[j]) : 1.0);
          out[j] = static_cast<T>(rstd * (dyh - mean_dyh - x_hat[j] * mean_dyh_xhat));
        }
      }
    }
  });
  if (!params) return;
  for (std::int64_t j = 0; j < n; ++j) {
    double sw = 0.0, sb = 0.0;
    for (std::int64_t blk = 0; blk < blocks; ++blk) {
      sw += partials[blk * 2 * n + j];
      sb += partials[blk * 2 * n + n + j];
    }
    if (dw != nullptr) dw[j] = static_cast<T>(sw);
    if (db != nullptr) db[j] = static_cast<T>(sb);
  }
}

}  // namespace

std::vector<Tensor> layer_norm_backward_fused(const Tensor& dy, const Tensor& x, const Tensor& weight,
                                              const LayerNormAttrs& attrs, const std::vector<bool>& needs) {
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
    layer_norm_grads<T>(dyc.data<T>(), xc.data<T>(), wc.defined() ? wc.data<T>() : nullptr, r.rows, r.n, attrs.eps,
                        dx.defined() ? dx.data<T>() : nullptr, dw.defined() ? dw.data<T>() : nullptr,
                        db.defined() ? db.data<T>() : nullptr);
    return {dx, dw, db};
  });
}

}  // namespace tg::detail
