// The normalization layer_norm and batch_norm share, written with ops: their references,
// and their backwards when these are recorded (create_graph). The derivation of the input
// gradient is in docs/attention.md (layer_norm) and docs/training.md (batch_norm).
#include "ops/elementwise.hpp"
#include "ops/normalization/normalization_ops.hpp"
#include "ops/reduction.hpp"

namespace tg::detail {

Normalized normalize_with_ops(const Tensor& x, const Dims& dims, double eps) {
  const Tensor centred = x - mean(x, dims, true);
  const Tensor rstd = 1.0 / sqrt(mean(centred * centred, dims, true) + eps);
  return {centred * rstd, rstd};
}

Tensor normalized_input_grad(const Tensor& dy_hat, const Normalized& n, const Dims& dims) {
  return n.rstd * (dy_hat - mean(dy_hat, dims, true) - n.x_hat * mean(dy_hat * n.x_hat, dims, true));
}

}  // namespace tg::detail
