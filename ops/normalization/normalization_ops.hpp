// The handles of the normalization layers' primitives (layer_norm) ops. Each family of ops keeps its handles in a
// header of its own, so that adding an op recompiles that family only; ops/builtin_ops.cpp registers the families in a
// fixed order after the core ops (builtin_ops.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include "ops/registry.hpp"

namespace tg {

struct LayerNormAttrs {
  Shape normalized_shape{};
  double eps = 1e-5;
};

struct NormalizationOps {
  OpHandle<LayerNormAttrs> layer_norm{};
};

OpDef<LayerNormAttrs> make_layer_norm_op();

// Valid from the first call on, from any thread (filled while the registry is built).
const NormalizationOps& normalization_ops();
// Registers the family's ops in `registry`, in member order (called once, by builtin_ops.cpp).
NormalizationOps register_normalization_ops(OpRegistry& registry);

namespace detail {

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
