// lstm_cell_pointwise: the elementwise part of an LSTM cell, fused. gates_x and gates_h are
// [B, 4H] pre-activations (x W_ih^T + b_ih and h W_hh^T + b_hh, gate order i, f, g, o),
// c is [B, H]. With a = gates_x + gates_h:
//   i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o),
//   c' = f c + i g,  h' = o tanh(c');  output [B, 2H] = [h', c'].
// Backward, with the output gradient split into dh' and dc' (docs/recurrent.md derives it):
//   dC = dc' + dh' o (1 - tanh(c')^2),
//   da_i = dC g i (1 - i),  da_f = dC c f (1 - f),  da_g = dC i (1 - g^2),
//   da_o = dh' tanh(c') o (1 - o);  d gates_x = d gates_h = da;  dc = dC f.
// A plain backward reads the activations the forward saved (a fused kernel, no
// recomputation); under create_graph the same formulas run as ops on the saved inputs, so
// the second derivative is exact.
// Reference: slices, sigmoid, tanh, mul and add, then cat.
#include <tuple>

#include "autograd/grad_mode.hpp"
#include "ops/elementwise.hpp"
#include "ops/recurrent.hpp"
#include "ops/recurrent/lstm_kernels.hpp"
#include "ops/recurrent/recurrent_kernels.hpp"
#include "ops/recurrent/recurrent_ops.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"

namespace tg {

namespace {

using namespace recurrent_detail;

struct LstmGates {
  Tensor i, f, g, o;
};

LstmGates lstm_gates(const Tensor& gates_x, const Tensor& gates_h) {
  const Tensor a = gates_x + gates_h;
  const std::int64_t h = a.size(1) / 4;
  return {sigmoid(slice(a, 1, 0, h)), sigmoid(slice(a, 1, h, 2 * h)), tanh(slice(a, 1, 2 * h, 3 * h)),
          sigmoid(slice(a, 1, 3 * h, 4 * h))};
}

Tensor lstm_composition(std::span<const Tensor> in, const NoAttrs&) {
  const LstmGates a = lstm_gates(in[0], in[1]);
  const Tensor c_next = a.f * in[2] + a.i * a.g;
  return cat({a.o * tanh(c_next), c_next}, 1);
}

}  // namespace

namespace recurrent_detail {

std::pair<Tensor, Tensor> lstm_backward_with_ops(const Tensor& gates_x, const Tensor& gates_h, const Tensor& c,
                                                 const Tensor& grad) {
  const LstmGates a = lstm_gates(gates_x, gates_h);
  const std::int64_t h = c.size(1);
  const Tensor dh = slice(grad, 1, 0, h), dc_next = slice(grad, 1, h, 2 * h);
  const Tensor tc = tanh(a.f * c + a.i * a.g);
  const Tensor dc_total = dc_next + dh * a.o * (1.0 - tc * tc);
  const Tensor da = cat({dc_total * a.g * a.i * (1.0 - a.i), dc_total * c * a.f * (1.0 - a.f),
                         dc_total * a.i * (1.0 - a.g * a.g), dh * tc * a.o * (1.0 - a.o)},
                        1);
  return {da, dc_total * a.f};
}

}  // namespace recurrent_detail

namespace {

Tensor lstm_forward(ForwardContext& ctx, const NoAttrs&) {
  const std::int64_t h = check_cell_operands(ctx.op_name(), ctx.input(0), ctx.input(1), ctx.input(2), 4);
  const Tensor gates_x = with_contiguous_rows(ctx.input(0));
  const Tensor gates_h = with_contiguous_rows(ctx.input(1));
  const Tensor c = with_contiguous_rows(ctx.input(2));
  const std::int64_t batch = c.size(0);
  const TensorOptions options{.dtype = c.dtype()};
  Tensor out = empty({batch, 2 * h}, options);
  const Tensor workspace = empty({batch, 5 * h}, options);
  if (ctx.recording()) {
    ctx.save("gates_x", ctx.input(0));
    ctx.save("gates_h", ctx.input(1));
    ctx.save("c", ctx.input(2));
    ctx.save("workspace", workspace);  // read only by the plain backward, as constants
  }
  visit_floating(c.dtype(), ctx.op_name(), [&](auto tag) {
    using T = decltype(tag);
    lstm_step_forward<T>(batch, h, rows_of<T>(gates_x), rows_of<T>(gates_h), rows_of<T>(c), mutable_rows_of<T>(out),
                         workspace.data<T>());
  });
  return out;
}

std::vector<Tensor> lstm_backward(const BackwardContext& ctx, const Tensor& grad, const NoAttrs&) {
  const Tensor& c = ctx.saved("c");
  Tensor d_gates, dc;
  if (is_grad_enabled()) {
    std::tie(d_gates, dc) = lstm_backward_with_ops(ctx.saved("gates_x"), ctx.saved("gates_h"), c, grad);
  } else {
    const Tensor cr = with_contiguous_rows(c);
    d_gates = empty({c.size(0), 4 * c.size(1)}, {.dtype = c.dtype()});
    dc = empty(c.shape(), {.dtype = c.dtype()});
    visit_floating(c.dtype(), ctx.op_name(), [&](auto tag) {
      using T = decltype(tag);
      lstm_step_backward<T>(c.size(0), c.size(1), rows_of<T>(with_contiguous_rows(grad)), rows_of<T>(cr),
                            ctx.saved("workspace").data<T>(), d_gates.data<T>(), mutable_rows_of<T>(dc));
    });
  }
  return {ctx.needs_input_grad(0) ? d_gates : Tensor(), ctx.needs_input_grad(1) ? d_gates : Tensor(),
          ctx.needs_input_grad(2) ? dc : Tensor()};
}

std::vector<OpSample<NoAttrs>> lstm_samples() {
  Generator gen(samples::kSeed + 1700);
  const auto sample = [&](std::string label, std::int64_t batch, std::int64_t h) {
    return OpSample<NoAttrs>{std::move(label),
                             {samples::arg({batch, 4 * h}, gen, -2.0, 2.0),
                              samples::arg({batch, 4 * h}, gen, -2.0, 2.0), samples::arg({batch, h}, gen, -2.0, 2.0)}};
  };
  std::vector<OpSample<NoAttrs>> out = {sample("B 2, H 3", 2, 3), sample("B 1, H 2", 1, 2),
                                        sample("B 0, H 2 (empty batch)", 0, 2)};
  out.push_back({.label = "gates [2, 6] not a multiple of 4",
                 .inputs = {samples::arg({2, 6}, gen), samples::arg({2, 6}, gen), samples::arg({2, 1}, gen)},
                 .rejects = &typeid(ShapeError)});
  return out;
}

}  // namespace

OpDef<NoAttrs> make_lstm_cell_pointwise_op() {
  return {
      .name = "lstm_cell_pointwise",
      .arity = 3,
      .forward = lstm_forward,
      .backward = lstm_backward,
      .reference = lstm_composition,
      .samples = lstm_samples,
      .summary = "LSTM cell gates and state update, fused: (gates_x, gates_h, c) -> [h', c']",
  };
}

Tensor lstm_cell_pointwise(const Tensor& gates_x, const Tensor& gates_h, const Tensor& c) {
  return call(recurrent_ops().lstm_cell_pointwise, {gates_x, gates_h, c});
}

}  // namespace tg
