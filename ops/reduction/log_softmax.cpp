// log_softmax: y_i = (x_i - m) - log(sum_j exp(x_j - m)) along dim, m = max_j x_j (stable
// for large |x|, unlike log(softmax(x))).
// dx = g - exp(y) * sum(g, dim, keepdim).
// Reference: (x - amax(x, dim)) - log(sum(exp(x - amax(x, dim)), dim)).
#include "ops/builtin_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduction.hpp"
#include "ops/reduction/reduce_attrs.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"

namespace tg {

namespace {

Tensor log_softmax_composition(std::span<const Tensor> in, const std::int64_t& dim) {
  const Tensor shifted = detail::max_shifted(in[0], dim);
  return shifted - log(sum(exp(shifted), {dim}, true));
}

}  // namespace

OpDef<std::int64_t> make_log_softmax_op() {
  return {
      .name = "log_softmax",
      .arity = 1,
      .forward =
          [](ForwardContext& ctx, const std::int64_t& dim) {
            if (ctx.recording()) ctx.save_output();
            return detail::softmax_forward(ctx.op_name(), ctx.input(0), dim, true);
          },
      .backward = [](const BackwardContext& ctx, const Tensor& g, const std::int64_t& dim) -> std::vector<Tensor> {
        return {g - exp(ctx.output()) * sum(g, {dim}, true)};
      },
      .reference = log_softmax_composition,
      .samples =
          [] {
            Generator gen(samples::kSeed + 16);
            Tensor base = samples::arg({4, 3, 2}, gen, -2.0, 2.0);
            Tensor strided = raw::as_strided(base.detach(), {2, 3, 4}, {1, 2, 6}, 0).set_requires_grad(true);
            return std::vector<OpSample<std::int64_t>>{
                {"[3, 4] dim -1", {samples::arg({3, 4}, gen, -2.0, 2.0)}, std::int64_t{-1}},
                {"[2, 3, 4] dim 1", {samples::arg({2, 3, 4}, gen, -2.0, 2.0)}, std::int64_t{1}},
                {"non-contiguous dim 2", {strided}, std::int64_t{2}},
                {"[5] dim 0", {samples::arg({5}, gen, -2.0, 2.0)}, std::int64_t{0}},
                {"[0, 3] dim -1 (empty)", {samples::arg({0, 3}, gen)}, std::int64_t{-1}},
                {"[3, 0] dim -1 (empty: over nothing)", {samples::arg({3, 0}, gen)}, std::int64_t{-1}},
                {"[0, 3] dim 0 (empty, over nothing)", {samples::arg({0, 3}, gen)}, std::int64_t{0}},
                {"[3, 0] dim 0 (empty columns)", {samples::arg({3, 0}, gen)}, std::int64_t{0}},
            };
          },
      .summary = "log of softmax along a dim (max-subtracted, stable)",
  };
}

Tensor log_softmax(const Tensor& x, std::int64_t dim) { return call(builtin_ops().log_softmax, {x}, dim); }

}  // namespace tg
