// The handles of the normalization layers' primitives (layer_norm, batch_norm). Each family of ops keeps its handles in
// a header of its own, so that adding an op recompiles that family only; ops/builtin_ops.cpp registers the families in
// a fixed order after the core ops (builtin_ops.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include "ops/reduction.hpp"
#include "ops/registry.hpp"

namespace tg {

struct LayerNormAttrs {
  Shape normalized_shape{};
  double eps = 1e-5;
};

struct BatchNormAttrs {
  double momentum = 0.1;  // weight of the batch in the running statistics' update
  double eps = 1e-5;
};

struct NormalizationOps {
  OpHandle<LayerNormAttrs> layer_norm{};
  OpHandle<BatchNormAttrs> batch_norm{};
};

OpDef<LayerNormAttrs> make_layer_norm_op();
OpDef<BatchNormAttrs> make_batch_norm_op();

// Valid from the first call on, from any thread (filled while the registry is built).
const NormalizationOps& normalization_ops();
// Registers the family's ops in `registry`, in member order (called once, by builtin_ops.cpp).
NormalizationOps register_normalization_ops(OpRegistry& registry);

namespace detail {

// The normalization both layers share, written with ops (their references, and their
// backwards under create_graph): over `dims` of x (kept, size 1),
// rstd = 1 / sqrt(mean((x - mean x)^2) + eps) and x_hat = (x - mean x) rstd.
struct Normalized {
  Tensor x_hat;
  Tensor rstd;
};
Normalized normalize_with_ops(const Tensor& x, const Dims& dims, double eps);
// dx = rstd (dy_hat - mean(dy_hat) - x_hat mean(dy_hat x_hat)) over `dims`, with ops: the
// input gradient of x_hat's normalization, given dy_hat = dy * weight.
Tensor normalized_input_grad(const Tensor& dy_hat, const Normalized& n, const Dims& dims);

// x viewed as [rows, n]: n = the product of normalized_shape, which x's shape must end in.
struct LayerNormRows {
  std::int64_t rows = 0;
  std::int64_t n = 0;
};
LayerNormRows layer_norm_rows(std::string_view op, const Tensor& x, const Shape& normalized_shape);

// The first-order gradients of layer_norm in one fused pass per row (ops/normalization/
// layer_norm_backward.cpp), for backward passes that are not themselves recorded:
// {dx, dweight, dbias}, each undefined where needs[i] is false (or the input is). stats:
// the [rows, 2] float64 means and rstds the forward saved.
std::vector<Tensor> layer_norm_backward_fused(const Tensor& dy, const Tensor& x, const Tensor& weight,
                                              const LayerNormAttrs& attrs, const std::vector<bool>& needs,
                                              const Tensor& stats);

}  // namespace detail

}  // namespace tg
