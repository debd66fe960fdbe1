// embedding_backward: the adjoint of embedding, a scatter-add into zeros. For g of shape
// t.shape + [D] and indices t:
//   y[v, :] = sum over positions i with t_i == v (in increasing i) of g[i, :],  y [V, D]
// with y[padding_idx] = 0. The positions are grouped by row with a stable counting sort, then
// each row is summed by whichever thread owns it, in the order of i: the same bits for any
// number of threads, one pass over g.
// dg = embedding(t, gg') with gg' = gg but the padding row zeroed (the adjoint of this linear
// map); the indices get no gradient.
// Reference: onehot(t)^T g by matmul, the padding column of the one-hot zeroed.
#include <algorithm>
#include <string_view>
#include <vector>

#include "ops/compose.hpp"
#include "ops/elementwise.hpp"
#include "ops/embedding.hpp"
#include "ops/embedding/embedding_common.hpp"
#include "ops/embedding/embedding_ops.hpp"
#include "ops/linalg.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/parallel.hpp"

namespace tg {

namespace {

// The positions of each row, in increasing order: positions[begin[v] .. begin[v + 1]).
struct PositionsByRow {
  std::vector<std::int64_t> begin;
  std::vector<std::int64_t> positions;
};

// Checks the indices as it counts them (one pass): a bad one is reported by position.
PositionsByRow group_by_row(std::string_view op, const Tensor& index_tensor, std::int64_t rows) {
  const Tensor t = raw::contiguous(index_tensor);
  const std::int64_t* indices = t.data<std::int64_t>();
  const std::int64_t count = t.numel();
  PositionsByRow out{std::vector<std::int64_t>(static_cast<std::size_t>(rows) + 1, 0),
                     std::vector<std::int64_t>(static_cast<std::size_t>(count))};
  for (std::int64_t i = 0; i < count; ++i) {
    if (indices[i] < 0 || indices[i] >= rows) detail::check_embedding_indices(op, index_tensor, rows);
    ++out.begin[static_cast<std::size_t>(indices[i]) + 1];
  }
  for (std::size_t v = 0; v < static_cast<std::size_t>(rows); ++v) out.begin[v + 1] += out.begin[v];
  std::vector<std::int64_t> next(out.begin.begin(), out.begin.end() - 1);
  for (std::int64_t i = 0; i < count; ++i) {
    out.positions[static_cast<std::size_t>(next[static_cast<std::size_t>(indices[i])]++)] = i;
  }
  return out;
}

Tensor embedding_backward_forward(ForwardContext& ctx, const EmbeddingBackwardAttrs& attrs) {
  const Tensor& grad = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const std::int64_t v = attrs.num_weights;
  TG_CHECK(v >= 0, ValueError, "{}: num_weights must be >= 0, got {}", ctx.op_name(), v);
  TG_CHECK(grad.dim() == indices.dim() + 1 &&
               std::equal(indices.shape().begin(), indices.shape().end(), grad.shape().begin()),
           ShapeError, "{}: gradient of shape {} does not match indices of shape {} (expected indices.shape + [D])",
           ctx.op_name(), grad.shape(), indices.shape());
  TG_CHECK(grad.is_floating_point(), DTypeError, "{}: gradient must be float32 or float64, got {}", ctx.op_name(),
           grad.dtype());
  const auto pad = detail::wrap_padding_idx(ctx.op_name(), attrs.padding_idx, v);
  TG_CHECK(indices.dtype() == DType::Int64, DTypeError, "{}: indices must be int64, got {}", ctx.op_name(),
           indices.dtype());
  if (ctx.recording()) ctx.save("indices", indices);
  const std::int64_t d = grad.size(-1);
  const Tensor g = raw::contiguous(grad);
  const PositionsByRow groups = group_by_row(ctx.op_name(), indices, v);
  return visit_floating(g.dtype(), ctx.op_name(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = empty({v, d}, {.dtype = g.dtype()});
    const T* pg = g.data<T>();
    T* po = out.data<T>();
    parallel_for(v, std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(d, 1)),
                 [&](std::int64_t row_begin, std::int64_t row_end) {
                   for (std::int64_t r = row_begin; r < row_end; ++r) {
                     T* dst = po + r * d;
                     std::fill(dst, dst + d, T(0));
                     if (r == pad) continue;
                     const auto ru = static_cast<std::size_t>(r);
                     for (std::int64_t k = groups.begin[ru]; k < groups.begin[ru + 1]; ++k) {
                       const T* src = pg + groups.positions[static_cast<std::size_t>(k)] * d;
                       for (std::int64_t j = 0; j < d; ++j) dst[j] += src[j];
                     }
                   }
                 });
    return out;
  });
}

std::vector<Tensor> embedding_backward_rule(const BackwardContext& ctx, const Tensor& gg,
                                            const EmbeddingBackwardAttrs& attrs) {
  const auto pad = detail::wrap_padding_idx(ctx.op_name(), attrs.padding_idx, attrs.num_weights);
  const Tensor kept = pad ? mul(gg, detail::padding_row_keep_mask(attrs.num_weights, *pad, gg.dtype())) : gg;
  return {embedding(ctx.saved("indices"), kept), Tensor()};
}

Tensor embedding_backward_composition(std::span<const Tensor> in, const EmbeddingBackwardAttrs& attrs) {
  const Tensor& g = in[0];
  const Tensor& indices = in[1];
  const std::int64_t v = attrs.num_weights;
  Tensor selector = compose::one_hot(reshape(indices, {indices.numel()}), v, g.dtype());  // [T, V]
  if (const auto pad = detail::wrap_padding_idx("embedding_backward", attrs.padding_idx, v)) {
    selector = selector * transpose(detail::padding_row_keep_mask(v, *pad, g.dtype()), 0, 1);
  }
  return matmul(transpose(selector, 0, 1), reshape(g, {indices.numel(), g.size(-1)}));
}

std::vector<OpSample<EmbeddingBackwardAttrs>> embedding_backward_samples() {
  Generator gen(samples::kSeed + 450);
  const auto indices = [](std::vector<std::int64_t> v, const Shape& shape) { return from_vector(v, shape); };
  return {
      {"[2, 3, 4] into [5, 4], repeated rows",
       {samples::arg({2, 3, 4}, gen), indices({0, 3, 3, 1, 4, 3}, {2, 3})},
       EmbeddingBackwardAttrs{.num_weights = 5}},
      {"[4, 2] into [3, 2], padding_idx 1 (present)",
       {samples::arg({4, 2}, gen), indices({1, 0, 1, 2}, {4})},
       EmbeddingBackwardAttrs{.num_weights = 3, .padding_idx = 1}},
      {.label = "[0, 2] into [3, 2] (empty: zeros)",
       .inputs = {samples::arg({0, 2}, gen), indices({}, {0})},
       .attrs = EmbeddingBackwardAttrs{.num_weights = 3},
       .expected = zeros({3, 2}, {.dtype = DType::Float64})},
      {.label = "[2, 2] into [3, 2], index 3 out of range",
       .inputs = {samples::arg({2, 2}, gen), indices({0, 3}, {2})},
       .attrs = EmbeddingBackwardAttrs{.num_weights = 3},
       .rejects = &typeid(IndexError)},
  };
}

}  // namespace

OpDef<EmbeddingBackwardAttrs> make_embedding_backward_op() {
  return {
      .name = "embedding_backward",
      .arity = 2,
      .forward = embedding_backward_forward,
      .backward = embedding_backward_rule,
      .reference = embedding_backward_composition,
      .samples = embedding_backward_samples,
      .summary = "adjoint of embedding: rows of the gradient added up per index (padding row zero)",
  };
}

Tensor embedding_backward(const Tensor& grad, const Tensor& indices, std::int64_t num_weights,
                          std::optional<std::int64_t> padding_idx) {
  return call(embedding_ops().embedding_backward, {grad, indices},
              EmbeddingBackwardAttrs{.num_weights = num_weights, .padding_idx = padding_idx});
}

}  // namespace tg
