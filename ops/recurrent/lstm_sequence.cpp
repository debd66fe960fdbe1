// lstm_sequence: one LSTM layer over a whole sequence, fused (as cuDNN's and oneDNN's RNN
// primitives are). Inputs gates_x [T, B, 4H] (x_t W_ih^T + b_ih + b_hh of every step,
// computed beforehand by one product), h0 and c0 [B, H], w_hh [4H, H]. Per step t:
//   [h_t, c_t] = lstm_cell_pointwise(gates_x[t], h_{t-1} W_hh^T, c_{t-1});
// output [T, B, 2H] holds [h_t, c_t] of every step.
// Backward, walking t down from T - 1 with the gradients dh, dc carried from step t + 1
// (zero at T - 1) and the output gradient [gh_t, gc_t]:
//   (da_t, dc) = the cell's backward at step t for [gh_t + dh, gc_t + dc],
//   dh = da_t W_hh,  d gates_x[t] = da_t;
// then dh0 = dh, dc0 = dc and dW_hh = sum_t da_t^T h_{t-1} = dA^T H_prev: ONE product over
// all T * B rows (docs/recurrent.md derives it). W_hh is packed once for the T products of
// the forward and once for the T of the backward (gemm_packed_b), not once per product.
// Under create_graph the same formulas run as ops on the inputs (the forward recomputed step
// by step), so the second derivative is exact.
// Reference: per step matmul and lstm_cell_pointwise, then stack.
#include <algorithm>
#include <utility>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "ops/elementwise.hpp"
#include "ops/kernels/gemm/gemm.hpp"
#include "ops/kernels/scratch.hpp"
#include "ops/linalg.hpp"
#include "ops/recurrent.hpp"
#include "ops/recurrent/lstm_kernels.hpp"
#include "ops/recurrent/recurrent_ops.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/error.hpp"
#include "tensor/format.hpp"

namespace tg {

namespace {

using namespace recurrent_detail;

struct SequenceShape {
  std::int64_t steps, batch, hidden;
};

SequenceShape check_sequence_operands(std::string_view op, const Tensor& gates_x, const Tensor& h0, const Tensor& c0,
                                      const Tensor& w_hh) {
  TG_CHECK(gates_x.dim() == 3 && gates_x.size(2) % 4 == 0, ShapeError,
           "{}: gates_x must be [T, B, 4 * H], got shape {}", op, gates_x.shape());
  const SequenceShape s{gates_x.size(0), gates_x.size(1), gates_x.size(2) / 4};
  for (const auto& [name, state] : {std::pair{"h0", &h0}, std::pair{"c0", &c0}}) {
    TG_CHECK(state->shape() == (Shape{s.batch, s.hidden}), ShapeError,
             "{}: {} has shape {}, expected [B, H] = [{}, {}] for gates_x {}", op, name, state->shape(), s.batch,
             s.hidden, gates_x.shape());
  }
  TG_CHECK(w_hh.shape() == (Shape{4 * s.hidden, s.hidden}), ShapeError,
           "{}: w_hh has shape {}, expected [4H, H] = [{}, {}] for gates_x {}", op, w_hh.shape(), 4 * s.hidden,
           s.hidden, gates_x.shape());
  TG_CHECK(gates_x.is_floating_point() && h0.dtype() == gates_x.dtype() && c0.dtype() == gates_x.dtype() &&
               w_hh.dtype() == gates_x.dtype(),
           DTypeError, "{}: operands must share one floating dtype, got {}, {}, {} and {}", op, gates_x.dtype(),
           h0.dtype(), c0.dtype(), w_hh.dtype());
  return s;
}

// Index t of the time dim, as a view.
Tensor step_of(const Tensor& seq, std::int64_t t) { return squeeze(slice(seq, 0, t, t + 1), 0); }

// The layer as ops, step by step: per step h_{t-1} W_hh^T and the output [h_t, c_t].
struct Unrolled {
  std::vector<Tensor> gates_h, out;
};

Unrolled unroll(const Tensor& gates_x, const Tensor& h0, const Tensor& c0, const Tensor& w_hh) {
  const std::int64_t h = h0.size(1);
  const Tensor w_hh_t = transpose(w_hh, 0, 1);
  Unrolled u;
  Tensor h_prev = h0, c_prev = c0;
  for (std::int64_t t = 0; t < gates_x.size(0); ++t) {
    u.gates_h.push_back(matmul(h_prev, w_hh_t));
    u.out.push_back(lstm_cell_pointwise(step_of(gates_x, t), u.gates_h.back(), c_prev));
    h_prev = slice(u.out.back(), 1, 0, h);
    c_prev = slice(u.out.back(), 1, h, 2 * h);
  }
  return u;
}

// stack(steps), or the empty [0, B, width] of a sequence without steps.
Tensor stack_steps(const std::vector<Tensor>& steps, std::int64_t batch, std::int64_t width, DType dtype) {
  return steps.empty() ? zeros({0, batch, width}, {.dtype = dtype}) : stack(steps, 0);
}

Tensor sequence_composition(std::span<const Tensor> in, const NoAttrs&) {
  return stack_steps(unroll(in[0], in[1], in[2], in[3]).out, in[0].size(1), 2 * in[1].size(1), in[0].dtype());
}

template <class T>
Rows<const T> rows_at(const T* data, std::int64_t row_stride) {
  return {data, row_stride};
}

template <class T>
void sequence_forward_kernel(const SequenceShape& s, const Tensor& gates_x, const Tensor& h0, const Tensor& c0,
                             const Tensor& w_hh, const Tensor& out, const Tensor& workspace) {
  const std::int64_t b = s.batch, h = s.hidden;
  kernels::ScratchLease lease;
  const std::int64_t packed_size = kernels::packed_b_size<T>(h, 4 * h);
  T* const w_packed = lease.array<T>(packed_size + b * 4 * h);
  T* const gates_h = w_packed + packed_size;
  // The product's B is W_hh^T: element (k, j) = w_hh[j, k].
  kernels::pack_b<T>(h, 4 * h, w_hh.data<T>(), w_hh.strides()[1], w_hh.strides()[0], w_packed);
  Rows<const T> h_prev = rows_of<T>(h0), c_prev = rows_of<T>(c0);
  for (std::int64_t t = 0; t < s.steps; ++t) {
    T* const y = out.data<T>() + t * b * 2 * h;
    kernels::gemm_packed_b<T>(b, 4 * h, h, T(1), kernels::strided_panels(h_prev.data, h_prev.row_stride, 1), w_packed,
                              T(0), gates_h, 4 * h, /*allow_parallel=*/true);
    lstm_step_forward<T>(b, h, rows_at<T>(gates_x.data<T>() + t * b * 4 * h, 4 * h), rows_at<T>(gates_h, 4 * h), c_prev,
                         {y, 2 * h}, workspace.data<T>() + t * b * 5 * h);
    h_prev = rows_at<T>(y, 2 * h);
    c_prev = rows_at<T>(y + h, 2 * h);
  }
}

Tensor sequence_forward(ForwardContext& ctx, const NoAttrs&) {
  const SequenceShape s =
      check_sequence_operands(ctx.op_name(), ctx.input(0), ctx.input(1), ctx.input(2), ctx.input(3));
  const Tensor gates_x = raw::contiguous(ctx.input(0));
  const Tensor h0 = with_contiguous_rows(ctx.input(1)), c0 = with_contiguous_rows(ctx.input(2));
  const TensorOptions options{.dtype = gates_x.dtype()};
  Tensor out = empty({s.steps, s.batch, 2 * s.hidden}, options);
  const Tensor workspace = empty({s.steps, s.batch, 5 * s.hidden}, options);
  if (ctx.recording()) {
    ctx.save("gates_x", ctx.input(0));
    ctx.save("h0", ctx.input(1));
    ctx.save("c0", ctx.input(2));
    ctx.save("w_hh", ctx.input(3));
    ctx.save_output();
    ctx.save("workspace", workspace);  // read only by the plain backward, as constants
  }
  visit_floating(out.dtype(), ctx.op_name(), [&](auto tag) {
    sequence_forward_kernel<decltype(tag)>(s, gates_x, h0, c0, ctx.input(3), out, workspace);
  });
  return out;
}

// The gradients of the four inputs: d gates_x, dh0, dc0, dW_hh.
struct SequenceGrads {
  Tensor gates_x, h0, c0, w_hh;
};

template <class T>
void sequence_backward_kernel(const SequenceShape& s, const Tensor& grad, const Tensor& h0, const Tensor& c0,
                              const Tensor& w_hh, const Tensor& out, const Tensor& workspace, const SequenceGrads& d) {
  const std::int64_t b = s.batch, h = s.hidden;
  kernels::ScratchLease lease;
  const std::int64_t packed_size = kernels::packed_b_size<T>(4 * h, h);
  T* const w_packed = lease.array<T>(packed_size + 2 * b * 2 * h + s.steps * b * h);
  T* const carry = w_packed + packed_size;  // [B, 2H]: dh, dc from the later step
  T* const step_grad = carry + b * 2 * h;   // [B, 2H]: the output gradient plus carry
  T* const h_prev_all = step_grad + b * 2 * h;
  // dh's product has B = W_hh itself.
  kernels::pack_b<T>(4 * h, h, w_hh.data<T>(), w_hh.strides()[0], w_hh.strides()[1], w_packed);
  std::fill(carry, carry + b * 2 * h, T(0));
  const T* y = out.data<T>();
  T* const da = d.gates_x.data<T>();
  for (std::int64_t t = s.steps - 1; t >= 0; --t) {
    const T* g = grad.data<T>() + t * b * 2 * h;
    for (std::int64_t k = 0; k < b * 2 * h; ++k) step_grad[k] = g[k] + carry[k];
    const Rows<const T> c_prev = t == 0 ? rows_of<T>(c0) : rows_at<T>(y + (t - 1) * b * 2 * h + h, 2 * h);
    T* const da_t = da + t * b * 4 * h;
    lstm_step_backward<T>(b, h, rows_at<T>(step_grad, 2 * h), c_prev, workspace.data<T>() + t * b * 5 * h, da_t,
                          {carry + h, 2 * h});
    kernels::gemm_packed_b<T>(b, h, 4 * h, T(1), kernels::strided_panels<T>(da_t, 4 * h, 1), w_packed, T(0), carry,
                              2 * h, /*allow_parallel=*/true);
  }
  const Rows<T> dh0 = mutable_rows_of<T>(d.h0), dc0 = mutable_rows_of<T>(d.c0);
  for (std::int64_t r = 0; r < b; ++r) {
    std::copy(carry + r * 2 * h, carry + r * 2 * h + h, dh0.row(r));
    std::copy(carry + r * 2 * h + h, carry + (r + 1) * 2 * h, dc0.row(r));
  }
  if (!d.w_hh.defined()) return;
  // H_prev [T * B, H]: h0, then h_0 .. h_{T-2}; dW_hh = dA^T H_prev, dA = d gates_x as [T * B, 4H].
  const Rows<const T> h0_rows = rows_of<T>(h0);
  for (std::int64_t t = 0; t < s.steps; ++t) {
    for (std::int64_t r = 0; r < b; ++r) {
      const T* src = t == 0 ? h0_rows.row(r) : y + ((t - 1) * b + r) * 2 * h;
      std::copy(src, src + h, h_prev_all + (t * b + r) * h);
    }
  }
  kernels::gemm<T>(4 * h, h, s.steps * b, T(1), da, 1, 4 * h, h_prev_all, h, 1, T(0), d.w_hh.data<T>(), h);
}

// The backward as ops on the inputs, for create_graph.
SequenceGrads backward_with_ops(const Tensor& gates_x, const Tensor& h0, const Tensor& c0, const Tensor& w_hh,
                                const Tensor& grad) {
  const std::int64_t h = h0.size(1);
  const Unrolled u = unroll(gates_x, h0, c0, w_hh);
  std::vector<Tensor> d_gates(u.out.size());
  Tensor dh = zeros_like(h0), dc = zeros_like(c0), dw = zeros_like(w_hh);
  for (std::int64_t t = gates_x.size(0) - 1; t >= 0; --t) {
    const Tensor h_prev = t == 0 ? h0 : slice(u.out[static_cast<std::size_t>(t - 1)], 1, 0, h);
    const Tensor c_prev = t == 0 ? c0 : slice(u.out[static_cast<std::size_t>(t - 1)], 1, h, 2 * h);
    const Tensor step_grad = step_of(grad, t) + cat({dh, dc}, 1);
    const auto [da, dc_prev] =
        lstm_backward_with_ops(step_of(gates_x, t), u.gates_h[static_cast<std::size_t>(t)], c_prev, step_grad);
    d_gates[static_cast<std::size_t>(t)] = da;
    dh = matmul(da, w_hh);
    dc = dc_prev;
    dw = dw + matmul(transpose(da, 0, 1), h_prev);
  }
  return {stack_steps(d_gates, gates_x.size(1), gates_x.size(2), gates_x.dtype()), dh, dc, dw};
}

std::vector<Tensor> sequence_backward(const BackwardContext& ctx, const Tensor& grad, const NoAttrs&) {
  const Tensor &gates_x = ctx.saved("gates_x"), &h0 = ctx.saved("h0"), &c0 = ctx.saved("c0"), &w_hh = ctx.saved("w_hh");
  SequenceGrads d;
  if (is_grad_enabled()) {
    d = backward_with_ops(gates_x, h0, c0, w_hh, grad);
  } else {
    const SequenceShape s{gates_x.size(0), gates_x.size(1), h0.size(1)};
    const TensorOptions options{.dtype = gates_x.dtype()};
    d = {empty(gates_x.shape(), options), empty(h0.shape(), options), empty(c0.shape(), options),
         ctx.needs_input_grad(3) ? empty(w_hh.shape(), options) : Tensor()};
    visit_floating(gates_x.dtype(), ctx.op_name(), [&](auto tag) {
      sequence_backward_kernel<decltype(tag)>(s, raw::contiguous(grad), with_contiguous_rows(h0),
                                              with_contiguous_rows(c0), w_hh, ctx.output(), ctx.saved("workspace"), d);
    });
  }
  return {ctx.needs_input_grad(0) ? d.gates_x : Tensor(), ctx.needs_input_grad(1) ? d.h0 : Tensor(),
          ctx.needs_input_grad(2) ? d.c0 : Tensor(), ctx.needs_input_grad(3) ? d.w_hh : Tensor()};
}

std::vector<OpSample<NoAttrs>> sequence_samples() {
  Generator gen(samples::kSeed + 1800);
  const auto sample = [&](std::string label, std::int64_t steps, std::int64_t batch, std::int64_t h) {
    return OpSample<NoAttrs>{
        std::move(label),
        {samples::arg({steps, batch, 4 * h}, gen, -2.0, 2.0), samples::arg({batch, h}, gen, -1.0, 1.0),
         samples::arg({batch, h}, gen, -2.0, 2.0), samples::arg({4 * h, h}, gen, -1.0, 1.0)}};
  };
  std::vector<OpSample<NoAttrs>> out = {sample("T 3, B 2, H 2", 3, 2, 2), sample("T 1, B 1, H 3", 1, 1, 3),
                                        sample("T 2, B 0, H 2 (empty batch)", 2, 0, 2)};
  out.push_back({.label = "w_hh [8, 3] not [4H, H]",
                 .inputs = {samples::arg({2, 1, 8}, gen), samples::arg({1, 2}, gen), samples::arg({1, 2}, gen),
                            samples::arg({8, 3}, gen)},
                 .rejects = &typeid(ShapeError)});
  return out;
}

}  // namespace

OpDef<NoAttrs> make_lstm_sequence_op() {
  return {
      .name = "lstm_sequence",
      .arity = 4,
      .forward = sequence_forward,
      .backward = sequence_backward,
      .reference = sequence_composition,
      .samples = sequence_samples,
      .summary = "LSTM layer over a sequence, fused: (gates_x [T, B, 4H], h0, c0, w_hh) -> [T, B, 2H] = [h_t, c_t]",
  };
}

Tensor lstm_sequence(const Tensor& gates_x, const Tensor& h0, const Tensor& c0, const Tensor& w_hh) {
  return call(recurrent_ops().lstm_sequence, {gates_x, h0, c0, w_hh});
}

}  // namespace tg
