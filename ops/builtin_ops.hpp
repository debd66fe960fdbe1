// The handles of the built-in ops, typed by their attributes: an op's public function calls
// `call(builtin_ops().mul, {a, b})`. The members are in registration order, the order
// `tapegrad ops` lists them; builtin_ops.cpp registers them. Families added later keep their
// handles in headers of their own (ops/<family>/<family>_ops.hpp, registered after these),
// so that adding an op recompiles its family, not every op.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ops/registry.hpp"

namespace tg {

struct Pair2;
struct Conv2dOptions;
struct ConvTranspose2dOptions;
struct Pool2dOptions;
struct CrossEntropyAttrs;

namespace detail {
struct ReduceAttrs;
struct IndexBackwardAttrs;
struct ConvGradAttrs;
struct PoolGradAttrs;
}  // namespace detail

// Attributes of the ops whose public functions take them as separate arguments.
struct PowScalarAttrs {
  double exponent = 1.0;
};
struct ClampAttrs {
  std::optional<double> min;
  std::optional<double> max;
};
struct SliceAttrs {
  std::int64_t dim = 0;
  std::int64_t start = 0;
  std::int64_t stop = 0;
  std::int64_t step = 1;
};
struct SliceBackwardAttrs {
  Shape input_shape;
  std::int64_t dim = 0;
  std::int64_t start = 0;
  std::int64_t step = 1;
};
struct PadAttrs {
  std::vector<std::int64_t> pads;
  double value = 0.0;
};

struct BuiltinOps {
  // elementwise
  OpHandle<NoAttrs> add, sub, mul, div, pow;
  OpHandle<PowScalarAttrs> pow_scalar;
  OpHandle<NoAttrs> maximum, minimum, neg, exp, log, sqrt, abs, relu, relu_backward, sigmoid, tanh;
  OpHandle<ClampAttrs> clamp;
  OpHandle<NoAttrs> where;
  OpHandle<DType> cast;
  OpHandle<NoAttrs> eq, ne, lt, le, gt, ge;
  // reductions
  OpHandle<detail::ReduceAttrs> sum, mean, max, amax, argmax;
  OpHandle<std::int64_t> softmax, log_softmax, softmax_backward;  // the dim
  // shape, view and indexing
  OpHandle<Shape> reshape, expand;
  OpHandle<std::vector<std::int64_t>> permute;  // the dims
  OpHandle<std::int64_t> squeeze, unsqueeze;    // the dim
  OpHandle<SliceAttrs> slice;
  OpHandle<SliceBackwardAttrs> slice_backward;
  OpHandle<PadAttrs> pad;
  OpHandle<std::vector<std::int64_t>> flip;  // the dims
  OpHandle<std::int64_t> cat, index_select;  // the dim
  OpHandle<detail::IndexBackwardAttrs> index_select_backward;
  OpHandle<std::int64_t> gather;  // the dim
  OpHandle<detail::IndexBackwardAttrs> gather_backward;
  OpHandle<NoAttrs> contiguous;
  // linear algebra
  OpHandle<NoAttrs> matmul;
  // convolution and pooling
  OpHandle<Conv2dOptions> conv2d;
  OpHandle<detail::ConvGradAttrs> conv2d_input_grad, conv2d_weight_grad;
  OpHandle<ConvTranspose2dOptions> conv_transpose2d;
  OpHandle<Pool2dOptions> max_pool2d;
  OpHandle<Pair2> max_pool2d_scatter;  // the input's H x W
  OpHandle<NoAttrs> max_pool2d_select;
  OpHandle<Pool2dOptions> avg_pool2d;
  OpHandle<detail::PoolGradAttrs> avg_pool2d_backward;
  OpHandle<Pair2> adaptive_avg_pool2d, adaptive_avg_pool2d_backward;  // the output's / the input's H x W
  // losses
  OpHandle<CrossEntropyAttrs> cross_entropy;
  OpHandle<NoAttrs> bce_with_logits;
};

// The handles, valid from the first call on, from any thread: they are filled while the
// process-wide registry is built, on first use (registry()).
const BuiltinOps& builtin_ops();

}  // namespace tg
