// embedding: y[i, :] = W[t_i, :] for indices t (int64, any shape) and weight W [V, D]; y has
// shape t.shape + [D]. A row gather: one memcpy per index, in parallel (disjoint outputs).
// dW = embedding_backward(g, t, V, padding_idx): g's rows added into zeros at rows t_i, the
// padding row left zero (PyTorch: that row is looked up but never trained). The indices get
// no gradient.
// Reference: index_select(W', 0, flatten(t)) reshaped, where W' equals W but its padding row
// is a detached copy (same values, no gradient).
#include "ops/embedding.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "ops/elementwise.hpp"
#include "ops/embedding/embedding_common.hpp"
#include "ops/embedding/embedding_ops.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/parallel.hpp"

namespace tg {

namespace {

Shape embedded_shape(const Shape& indices, std::int64_t dim) {
  Shape shape = indices;
  shape.push_back(dim);
  return shape;
}

Tensor embedding_forward(ForwardContext& ctx, const EmbeddingAttrs& attrs) {
  const Tensor& indices = ctx.input(0);
  const Tensor& weight = ctx.input(1);
  TG_CHECK(weight.dim() == 2, ShapeError, "{}: weight must be [num_embeddings, embedding_dim], got shape {}",
           ctx.op_name(), weight.shape());
  TG_CHECK(weight.is_floating_point(), DTypeError, "{}: weight must be float32 or float64, got {}", ctx.op_name(),
           weight.dtype());
  const std::int64_t v = weight.size(0), d = weight.size(1);
  (void)detail::wrap_padding_idx(ctx.op_name(), attrs.padding_idx, v);
  TG_CHECK(indices.dtype() == DType::Int64, DTypeError, "{}: indices must be int64, got {}", ctx.op_name(),
           indices.dtype());
  if (ctx.recording()) ctx.save("indices", indices);
  const Tensor w = raw::contiguous(weight);
  const Tensor t = raw::contiguous(indices);
  const std::int64_t* pt = t.data<std::int64_t>();
  return visit_floating(w.dtype(), ctx.op_name(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = empty(embedded_shape(indices.shape(), d), {.dtype = w.dtype()});
    const T* pw = w.data<T>();
    T* po = out.data<T>();
    const auto row_bytes = static_cast<std::size_t>(d) * sizeof(T);
    // The indices are checked as they are read (one pass over them); a bad one is reported,
    // by position, after the loop.
    std::atomic<bool> out_of_range{false};
    parallel_for(t.numel(), std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(d, 1)),
                 [&](std::int64_t begin, std::int64_t end) {
                   for (std::int64_t i = begin; i < end; ++i) {
                     if (pt[i] < 0 || pt[i] >= v) {
                       out_of_range.store(true, std::memory_order_relaxed);
                       continue;
                     }
                     std::memcpy(po + i * d, pw + pt[i] * d, row_bytes);
                   }
                 });
    if (out_of_range.load()) detail::check_embedding_indices(ctx.op_name(), indices, v);
    return out;
  });
}

std::vector<Tensor> embedding_grad_rule(const BackwardContext& ctx, const Tensor& g, const EmbeddingAttrs& attrs) {
  return {Tensor(), embedding_backward(g, ctx.saved("indices"), ctx.input_shape(1)[0], attrs.padding_idx)};
}

Tensor embedding_composition(std::span<const Tensor> in, const EmbeddingAttrs& attrs) {
  const Tensor& indices = in[0];
  const Tensor& weight = in[1];
  const std::int64_t v = weight.size(0);
  Tensor w = weight;
  if (const auto pad = detail::wrap_padding_idx("embedding", attrs.padding_idx, v)) {
    const Tensor keep = detail::padding_row_keep_mask(v, *pad, weight.dtype());
    w = weight * keep + weight.detach() * (1.0 - keep);
  }
  const Tensor rows = index_select(w, 0, reshape(indices, {indices.numel()}));
  return reshape(rows, embedded_shape(indices.shape(), weight.size(1)));
}

std::vector<OpSample<EmbeddingAttrs>> embedding_samples() {
  Generator gen(samples::kSeed + 440);
  const auto indices = [](std::vector<std::int64_t> v, const Shape& shape) { return from_vector(v, shape); };
  // With a padding_idx, the samples' indices avoid the padding row: its gradient is zero by
  // decree, not the derivative gradcheck measures (tests/test_embedding.cpp checks it).
  return {
      {"[2, 3] into [5, 4], repeated rows", {indices({0, 3, 3, 1, 4, 0}, {2, 3}), samples::arg({5, 4}, gen)}, {}},
      {"[4] into [6, 2], padding_idx 2",
       {indices({5, 0, 5, 1}, {4}), samples::arg({6, 2}, gen)},
       EmbeddingAttrs{.padding_idx = 2}},
      {"0-d into [3, 3], padding_idx -1",
       {indices({1}, {}), samples::arg({3, 3}, gen)},
       EmbeddingAttrs{.padding_idx = -1}},
      {"[0, 2] into [3, 2] (empty)", {indices({}, {0, 2}), samples::arg({3, 2}, gen)}, {}},
      {.label = "[2] into [3, 2], index 3 out of range",
       .inputs = {indices({0, 3}, {2}), samples::arg({3, 2}, gen)},
       .rejects = &typeid(IndexError)},
      {.label = "[2] into [3, 2], padding_idx 3 out of range",
       .inputs = {indices({0, 1}, {2}), samples::arg({3, 2}, gen)},
       .attrs = EmbeddingAttrs{.padding_idx = 3},
       .rejects = &typeid(IndexError)},
  };
}

}  // namespace

OpDef<EmbeddingAttrs> make_embedding_op() {
  return {
      .name = "embedding",
      .arity = 2,
      .forward = embedding_forward,
      .backward = embedding_grad_rule,
      .reference = embedding_composition,
      .samples = embedding_samples,
      .summary = "rows of a weight table [V, D] picked by int64 indices (padding_idx)",
  };
}

Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<std::int64_t> padding_idx) {
  return call(embedding_ops().embedding, {indices, weight}, EmbeddingAttrs{.padding_idx = padding_idx});
}

}  // namespace tg
