// scaled_dot_product_attention: for query [..., L, E], key [..., S, E], value [..., S, Ev]
// and an additive mask M broadcast to [..., L, S],
//   S = q k^T * scale + M (+ -inf above the diagonal if causal),  P = softmax(S) over the
//   last dim,  out = P v.
// Forward: attention_forward.cpp (two GEMMs around an in-place masked softmax); P is kept.
// Backward (derived in docs/attention.md), for an incoming gradient dO:
//   dv = P^T dO,  dP = dO v^T,  dS = P * (dP - rowsum(dP * P))  (the softmax Jacobian applied
//   without forming it: softmax_backward),  dq = dS k * scale,  dk = dS^T q * scale,  dM = dS summed to M's shape.
// Written with ops. A backward that is not recorded reads the saved P (exact for the first
// derivative); under create_graph P is recomputed with ops from q, k and M, so that the
// second derivative sees its dependence on them.
// Reference: matmul / add / softmax, the causal mask from arange / gt / where.
#include <limits>

#include "autograd/grad_mode.hpp"
#include "ops/attention.hpp"
#include "ops/attention/attention_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/reduction.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/factories.hpp"

namespace tg {

namespace {

Tensor probs_with_ops(const Tensor& q, const Tensor& k, const Tensor& mask, const AttentionOptions& o) {
  const detail::AttentionShape a = detail::attention_shape("scaled_dot_product_attention", q, k, k, mask, o);
  Tensor scores = matmul(q, transpose(k, -1, -2)) * a.scale;
  if (mask.defined()) scores = scores + mask;
  if (o.is_causal) scores = scores + causal_attention_mask(a.l, a.s, q.dtype());
  return softmax(scores, -1);
}

Tensor sdpa_forward(ForwardContext& ctx, const AttentionOptions& o) {
  const Tensor& q = ctx.input(0);
  const Tensor& k = ctx.input(1);
  const Tensor& v = ctx.input(2);
  const Tensor& mask = ctx.input(3);
  const detail::AttentionShape a = detail::attention_shape(ctx.op_name(), q, k, v, mask, o);
  detail::AttentionResult r = detail::attention_forward(ctx.op_name(), q, k, v, mask, a, o.is_causal);
  if (ctx.recording()) {
    ctx.save("q", q);
    ctx.save("k", k);
    ctx.save("v", v);
    ctx.save("mask", mask);
    ctx.save("probs", r.probs);  // read as a constant in first-order backward only (see the top)
  }
  return r.out;
}

std::vector<Tensor> sdpa_backward(const BackwardContext& ctx, const Tensor& g, const AttentionOptions& o) {
  const Tensor& q = ctx.saved("q");
  const Tensor& k = ctx.saved("k");
  const Tensor& v = ctx.saved("v");
  const Tensor& mask = ctx.saved("mask");
  const Tensor p = is_grad_enabled() ? probs_with_ops(q, k, mask, o) : ctx.saved("probs");
  std::vector<Tensor> grads(4);
  if (ctx.needs_input_grad(2)) grads[2] = matmul(transpose(p, -1, -2), g);
  if (!ctx.needs_input_grad(0) && !ctx.needs_input_grad(1) && !ctx.needs_input_grad(3)) return grads;
  const Tensor dp = matmul(g, transpose(v, -1, -2));
  const Tensor ds = softmax_backward(dp, p, -1);
  const double scale = detail::attention_shape(ctx.op_name(), q, k, v, Tensor(), o).scale;
  if (ctx.needs_input_grad(0)) grads[0] = matmul(ds, k) * scale;
  if (ctx.needs_input_grad(1)) grads[1] = matmul(transpose(ds, -1, -2), q) * scale;
  if (ctx.needs_input_grad(3)) grads[3] = sum_to(ds, mask.shape());
  return grads;
}

Tensor sdpa_composition(std::span<const Tensor> in, const AttentionOptions& o) {
  return matmul(probs_with_ops(in[0], in[1], in[3], o), in[2]);
}

std::vector<OpSample<AttentionOptions>> sdpa_samples() {
  Generator gen(samples::kSeed + 1800);
  const auto arg = [&](const Shape& s) { return samples::arg(s, gen); };
  const auto constant = [&](const Shape& s) { return samples::constant(s, gen); };
  Tensor base = arg({4, 3});
  Tensor transposed = raw::as_strided(base.detach(), {1, 3, 4}, {12, 1, 3}, 0).set_requires_grad(true);
  // Every sample has a mask: gradcheck needs defined inputs (tests/test_attention.cpp covers
  // attention without one).
  return {
      {"[2, 3, 4] x [2, 5, 4] -> Ev 3, mask [3, 5]", {arg({2, 3, 4}), arg({2, 5, 4}), arg({2, 5, 3}), arg({3, 5})}, {}},
      {"causal [2, 2, 4, 3], constant mask [2, 1, 1, 4]",
       {arg({2, 2, 4, 3}), arg({2, 2, 4, 3}), arg({2, 2, 4, 2}), constant({2, 1, 1, 4})},
       AttentionOptions{.is_causal = true}},
      {"causal L 3 > S 2 (top-left aligned), scale 0.7",
       {arg({1, 3, 2}), arg({1, 2, 2}), arg({1, 2, 2}), arg({1, 2})},
       AttentionOptions{.is_causal = true, .scale = 0.7}},
      {"transposed query [1, 3, 4], mask [1, 3, 2]",
       {transposed, arg({1, 2, 4}), arg({1, 2, 3}), arg({1, 3, 2})},
       AttentionOptions{}},
      {"L 0 (empty)", {arg({2, 0, 4}), arg({2, 3, 4}), arg({2, 3, 2}), arg({0, 3})}, {}},
      {.label = "S 0 (no keys: zeros)",
       .inputs = {arg({2, 3, 4}), arg({2, 0, 4}), arg({2, 0, 2}), arg({3, 0})},
       .allow_vacuous = true,
       .expected = zeros({2, 3, 2}, {.dtype = DType::Float64})},
      {.label = "key E 3 != query E 4",
       .inputs = {arg({2, 3, 4}), arg({2, 5, 3}), arg({2, 5, 3}), arg({3, 5})},
       .rejects = &typeid(ShapeError)},
  };
}

}  // namespace

OpDef<AttentionOptions> make_scaled_dot_product_attention_op() {
  return {
      .name = "scaled_dot_product_attention",
      .arity = 4,
      .forward = sdpa_forward,
      .backward = sdpa_backward,
      .reference = sdpa_composition,
      .samples = sdpa_samples,
      .summary = "softmax(q k^T scale + mask, causal) v, fused forward (GEMM, masked softmax, GEMM)",
  };
}

Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask, AttentionOptions options) {
  return call(attention_ops().scaled_dot_product_attention, {query, key, value, attn_mask}, options);
}

Tensor causal_attention_mask(std::int64_t l, std::int64_t s, DType dtype) {
  const Tensor rows = reshape(arange(static_cast<double>(l), {.dtype = dtype}), {l, 1});
  const Tensor cols = reshape(arange(static_cast<double>(s), {.dtype = dtype}), {1, s});
  return where(gt(cols, rows), full({}, -std::numeric_limits<double>::infinity(), {.dtype = dtype}),
               zeros({}, {.dtype = dtype}));
}

}  // namespace tg
