// binary_cross_entropy: elementwise binary cross-entropy of probabilities p in [0, 1] and
// targets y (same shape, float), each log clamped at -100 as PyTorch does (so p = 0 or 1
// gives a finite loss):
//   loss = -(y max(log p, -100) + (1 - y) max(log(1 - p), -100))
// dp = g (p - y) / max(p (1 - p), 1e-12)   (PyTorch's form: the exact derivative inside
//      (0, 1), kept finite at the ends)
// dy = g (max(log(1 - p), -100) - max(log p, -100))
// both written with ops so they differentiate again.
// Reference: -(y * clamp(log(p), -100) + (1 - y) * clamp(log(1 - p), -100)).
#include <algorithm>
#include <cmath>

#include "ops/elementwise.hpp"
#include "ops/loss.hpp"
#include "ops/loss/loss_ops.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "tensor/parallel.hpp"

namespace tg {

namespace {

constexpr double kLogFloor = -100.0;
constexpr double kEpsilon = 1e-12;

Tensor clamped_log(const Tensor& x) { return clamp(log(x), kLogFloor, std::nullopt); }

Tensor bce_forward(ForwardContext& ctx, const NoAttrs&) {
  check_same_float_shape(ctx.op_name(), ctx.input(0), ctx.input(1));
  if (ctx.recording()) {
    ctx.save("p", ctx.input(0));
    ctx.save("y", ctx.input(1));
  }
  const Tensor p = raw::contiguous(ctx.input(0));
  const Tensor y = raw::contiguous(ctx.input(1).clone_as(p.dtype()));
  return visit_floating(p.dtype(), ctx.op_name(), [&](auto tag) {
    using T = decltype(tag);
    const T* pp = p.data<T>();
    const T* py = y.data<T>();
    for (std::int64_t i = 0; i < p.numel(); ++i) {
      TG_CHECK(pp[i] >= T(0) && pp[i] <= T(1), ValueError,
               "{}: input[{}] = {} is not a probability (all elements of input must be in [0, 1])", ctx.op_name(), i,
               pp[i]);
    }
    Tensor out = empty(p.shape(), {.dtype = p.dtype()});
    T* po = out.data<T>();
    parallel_for(p.numel(), 32768, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const T log_p = std::max(std::log(pp[i]), T(kLogFloor));
        const T log_1mp = std::max(std::log1p(-pp[i]), T(kLogFloor));
        po[i] = (py[i] - T(1)) * log_1mp - py[i] * log_p;
      }
    });
    return out;
  });
}

std::vector<Tensor> bce_backward(const BackwardContext& ctx, const Tensor& g, const NoAttrs&) {
  const Tensor& p = ctx.saved("p");
  const Tensor& y = ctx.saved("y");
  return {ctx.needs_input_grad(0) ? g * (p - y) / clamp(p * (1.0 - p), kEpsilon, std::nullopt) : Tensor(),
          ctx.needs_input_grad(1) ? g * (clamped_log(1.0 - p) - clamped_log(p)) : Tensor()};
}

Tensor bce_composition(std::span<const Tensor> in, const NoAttrs&) {
  const Tensor& p = in[0];
  const Tensor& y = in[1];
  return -(y * clamped_log(p) + (1.0 - y) * clamped_log(1.0 - p));
}

std::vector<OpSample<NoAttrs>> bce_samples() {
  Generator gen(samples::kSeed + 430);
  // Probabilities away from 0 and 1, where the clamps and the eps floor take over.
  const auto sample = [&](std::string label, const Shape& shape) {
    return OpSample<NoAttrs>{
        std::move(label), {samples::arg(shape, gen, 0.05, 0.95), samples::arg(shape, gen, 0.0, 1.0)}, {}};
  };
  return {
      sample("[6]", {6}),
      sample("[3, 4]", {3, 4}),
      sample("0-d", {}),
      sample("[2, 0, 3]", {2, 0, 3}),
      {.label = "[2], probability 1.5",
       .inputs = {from_vector(std::vector<double>{0.5, 1.5}, {2}), from_vector(std::vector<double>{0.0, 1.0}, {2})},
       .rejects = &typeid(ValueError)},
  };
}

}  // namespace

OpDef<NoAttrs> make_binary_cross_entropy_op() {
  return {
      .name = "binary_cross_entropy",
      .arity = 2,
      .forward = bce_forward,
      .backward = bce_backward,
      .reference = bce_composition,
      .samples = bce_samples,
      .summary = "elementwise binary cross-entropy of probabilities and targets (logs clamped at -100)",
  };
}

Tensor binary_cross_entropy_elementwise(const Tensor& p, const Tensor& y) {
  return call(loss_ops().binary_cross_entropy, {p, y});
}

}  // namespace tg
