// The handles of the attention (scaled_dot_product_attention) ops. Each family of ops keeps its handles in a header
// of its own, so that adding an op recompiles that family only; ops/builtin_ops.cpp
// registers the families in a fixed order after the core ops (builtin_ops.hpp).
#pragma once

#include "ops/attention.hpp"
#include "ops/registry.hpp"

namespace tg {

struct AttentionOps {
  OpHandle<AttentionOptions> scaled_dot_product_attention{};
};

OpDef<AttentionOptions> make_scaled_dot_product_attention_op();

// Valid from the first call on, from any thread (filled while the registry is built).
const AttentionOps& attention_ops();
// Registers the family's ops in `registry`, in member order (called once, by builtin_ops.cpp).
AttentionOps register_attention_ops(OpRegistry& registry);

namespace detail {

// The checked geometry of an attention call (ops/attention/attention_forward.cpp).
struct AttentionShape {
  Shape batch;  // the leading dims shared by query, key and value
  std::int64_t l = 0, s = 0, e = 0, ev = 0;
  double scale = 1.0;
};
AttentionShape attention_shape(std::string_view op, const Tensor& q, const Tensor& k, const Tensor& v,
                               const Tensor& mask, const AttentionOptions& options);

// The fused forward: probs = softmax(q k^T scale + mask (+ causal)) [batch, L, S] and
// out = probs v [batch, L, Ev], one batch entry per task (two GEMMs around an in-place
// masked softmax, so the scores stay in cache).
struct AttentionResult {
  Tensor out;
  Tensor probs;
};
AttentionResult attention_forward(std::string_view op, const Tensor& q, const Tensor& k, const Tensor& v,
                                  const Tensor& mask, const AttentionShape& shape, bool is_causal);

}  // namespace detail

}  // namespace tg
