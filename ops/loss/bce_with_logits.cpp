// binary_cross_entropy_with_logits: elementwise binary cross-entropy of logits x and
// targets y (same shape, float), in the form that neither overflows nor loses precision:
//   loss = max(x, 0) - x y + log1p(exp(-|x|))   (= -y log s(x) - (1 - y) log(1 - s(x)))
// dx = (sigmoid(x) - y) g,  dy = -x g, written with ops so they differentiate again.
// Reference: relu(x) - x * y + log(1 + exp(-abs(x))).
#include <algorithm>
#include <cmath>

#include "ops/builtin_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/loss.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "tensor/parallel.hpp"

namespace tg {

namespace {

Tensor bce_with_logits_forward(ForwardContext& ctx, const NoAttrs&) {
  check_same_float_shape(ctx.op_name(), ctx.input(0), ctx.input(1));
  if (ctx.recording()) {
    ctx.save("x", ctx.input(0));
    ctx.save("y", ctx.input(1));
  }
  const Tensor x = raw::contiguous(ctx.input(0));
  const Tensor y = raw::contiguous(ctx.input(1).clone_as(x.dtype()));
  return visit_floating(x.dtype(), ctx.op_name(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = empty(x.shape(), {.dtype = x.dtype()});
    const T* px = x.data<T>();
    const T* py = y.data<T>();
    T* po = out.data<T>();
    parallel_for(x.numel(), 32768, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const T v = px[i];
        po[i] = std::max(v, T(0)) - v * py[i] + std::log1p(std::exp(-std::abs(v)));
      }
    });
    return out;
  });
}

std::vector<Tensor> bce_with_logits_backward(const BackwardContext& ctx, const Tensor& g, const NoAttrs&) {
  const Tensor& x = ctx.saved("x");
  const Tensor& y = ctx.saved("y");
  return {ctx.needs_input_grad(0) ? mul(sub(sigmoid(x), y), g) : Tensor(),
          ctx.needs_input_grad(1) ? mul(neg(x), g) : Tensor()};
}

Tensor bce_with_logits_composition(std::span<const Tensor> in) {
  const Tensor& x = in[0];
  const Tensor& y = in[1];
  return relu(x) - x * y + log(1.0 + exp(-abs(x)));
}

std::vector<OpSample<NoAttrs>> bce_with_logits_samples() {
  Generator gen(samples::kSeed + 410);
  // Logits away from 0, where relu and abs have their kinks (the sum of both is smooth,
  // but the reference differentiates each).
  const auto sample = [&](std::string label, const Shape& shape) {
    return OpSample<NoAttrs>{
        std::move(label), {samples::distinct_arg(shape, gen, 0.5), samples::arg(shape, gen, 0.0, 1.0)}, {}};
  };
  return {sample("[6]", {6}), sample("[3, 4]", {3, 4}), sample("0-d", {}), sample("[0]", {0}),
          sample("[2, 0, 3]", {2, 0, 3})};
}

}  // namespace

OpDef<NoAttrs> make_bce_with_logits_op() {
  return {
      .name = "binary_cross_entropy_with_logits",
      .arity = 2,
      .forward = bce_with_logits_forward,
      .backward = bce_with_logits_backward,
      .reference = [](std::span<const Tensor> in, const NoAttrs&) { return bce_with_logits_composition(in); },
      .samples = bce_with_logits_samples,
      .summary = "elementwise binary cross-entropy of logits and targets",
  };
}

Tensor bce_with_logits_elementwise(const Tensor& x, const Tensor& y) {
  return call(builtin_ops().bce_with_logits, {x, y});
}

}  // namespace tg
