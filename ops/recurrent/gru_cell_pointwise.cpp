// gru_cell_pointwise: the elementwise part of a GRU cell, fused. gates_x = x W_ih^T + b_ih
// and gates_h = h W_hh^T + b_hh are [B, 3H] (gate order r, z, n), h is [B, H]:
//   r = sigmoid(x_r + h_r), z = sigmoid(x_z + h_z), n = tanh(x_n + r h_n),
//   h' = (1 - z) n + z h  (computed as n + z (h - n)).
// Backward, with dh' the output gradient (docs/recurrent.md derives it):
//   da_n = dh' (1 - z) (1 - n^2),  da_z = dh' (h - n) z (1 - z),  da_r = da_n h_n r (1 - r),
//   d gates_x = [da_r, da_z, da_n],  d gates_h = [da_r, da_z, da_n r],  dh = dh' z.
// A plain backward reads the activations the forward saved (a fused kernel); under
// create_graph the same formulas run as ops on the saved inputs, so the second derivative
// is exact.
// Reference: slices, sigmoid, tanh, mul, add and sub.
#include "autograd/grad_mode.hpp"
#include "ops/elementwise.hpp"
#include "ops/kernels/math/recurrent_rows.hpp"
#include "ops/recurrent.hpp"
#include "ops/recurrent/recurrent_kernels.hpp"
#include "ops/recurrent/recurrent_ops.hpp"
#include "ops/registry.hpp"
#include "ops/sample_inputs.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/parallel.hpp"

namespace tg {

namespace {

using namespace recurrent_detail;

struct GruGates {
  Tensor r, z, n, h_n;
};

GruGates gru_gates(const Tensor& gates_x, const Tensor& gates_h) {
  const std::int64_t h = gates_x.size(1) / 3;
  const auto part = [h](const Tensor& t, std::int64_t k) { return slice(t, 1, k * h, (k + 1) * h); };
  const Tensor r = sigmoid(part(gates_x, 0) + part(gates_h, 0));
  const Tensor h_n = part(gates_h, 2);
  return {r, sigmoid(part(gates_x, 1) + part(gates_h, 1)), tanh(part(gates_x, 2) + r * h_n), h_n};
}

Tensor gru_composition(std::span<const Tensor> in, const NoAttrs&) {
  const GruGates a = gru_gates(in[0], in[1]);
  return (1.0 - a.z) * a.n + a.z * in[2];
}

// The backward formulas as ops (differentiable again): {d gates_x, d gates_h, dh}.
std::vector<Tensor> gru_backward_with_ops(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h,
                                          const Tensor& grad) {
  const GruGates a = gru_gates(gates_x, gates_h);
  const Tensor da_n = grad * (1.0 - a.z) * (1.0 - a.n * a.n);
  const Tensor da_z = grad * (h - a.n) * a.z * (1.0 - a.z);
  const Tensor da_r = da_n * a.h_n * a.r * (1.0 - a.r);
  return {cat({da_r, da_z, da_n}, 1), cat({da_r, da_z, da_n * a.r}, 1), grad * a.z};
}

// Forward kernel (kernels::gru_forward_row). The workspace row holds r, z, n: the plain
// backward reads them.
template <class T>
void gru_forward_kernel(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h_prev, const Tensor& out,
                        const Tensor& workspace) {
  const std::int64_t batch = h_prev.size(0), h = h_prev.size(1);
  const Rows<const T> gx = rows_of<T>(gates_x), gh = rows_of<T>(gates_h), hs = rows_of<T>(h_prev);
  T* y0 = out.data<T>();
  T* ws = workspace.data<T>();
  parallel_for(batch, rows_grain(3 * h), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t b = begin; b < end; ++b) {
      kernels::gru_forward_row(kernels::GruForwardRow<T>{.gates_x = gx.row(b),
                                                         .gates_h = gh.row(b),
                                                         .h_prev = hs.row(b),
                                                         .y = y0 + b * h,
                                                         .workspace = ws + b * 3 * h,
                                                         .h = h});
    }
  });
}

template <class T>
void gru_backward_kernel(const Tensor& grad, const Tensor& gates_h, const Tensor& h_prev, const Tensor& workspace,
                         const Tensor& d_gates_x, const Tensor& d_gates_h, const Tensor& dh) {
  const std::int64_t batch = h_prev.size(0), h = h_prev.size(1);
  const Rows<const T> gs = rows_of<T>(grad), gh = rows_of<T>(gates_h), hs = rows_of<T>(h_prev);
  const T* ws = workspace.data<T>();
  T* dx0 = d_gates_x.data<T>();
  T* dhh0 = d_gates_h.data<T>();
  T* dh0 = dh.data<T>();
  parallel_for(batch, rows_grain(3 * h), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t b = begin; b < end; ++b) {
      const T* __restrict g = gs.row(b);
      const T* __restrict h_n = gh.row(b) + 2 * h;
      const T* __restrict hp = hs.row(b);
      const T* __restrict w = ws + b * 3 * h;
      T* __restrict dx = dx0 + b * 3 * h;
      T* __restrict dhh = dhh0 + b * 3 * h;
      T* __restrict dhb = dh0 + b * h;
      for (std::int64_t j = 0; j < h; ++j) {
        const T r = w[j], z = w[h + j], n = w[2 * h + j];
        const T da_n = g[j] * (T(1) - z) * (T(1) - n * n);
        const T da_z = g[j] * (hp[j] - n) * z * (T(1) - z);
        const T da_r = da_n * h_n[j] * r * (T(1) - r);
        dx[j] = da_r;
        dhh[j] = da_r;
        dx[h + j] = da_z;
        dhh[h + j] = da_z;
        dx[2 * h + j] = da_n;
        dhh[2 * h + j] = da_n * r;
        dhb[j] = g[j] * z;
      }
    }
  });
}

Tensor gru_forward(ForwardContext& ctx, const NoAttrs&) {
  const std::int64_t h = check_cell_operands(ctx.op_name(), ctx.input(0), ctx.input(1), ctx.input(2), 3);
  const Tensor gates_x = with_contiguous_rows(ctx.input(0));
  const Tensor gates_h = with_contiguous_rows(ctx.input(1));
  const Tensor h_prev = with_contiguous_rows(ctx.input(2));
  const std::int64_t batch = h_prev.size(0);
  const TensorOptions options{.dtype = h_prev.dtype()};
  Tensor out = empty({batch, h}, options);
  const Tensor workspace = empty({batch, 3 * h}, options);
  if (ctx.recording()) {
    ctx.save("gates_x", ctx.input(0));
    ctx.save("gates_h", ctx.input(1));
    ctx.save("h", ctx.input(2));
    ctx.save("workspace", workspace);  // read only by the plain backward, as constants
  }
  visit_floating(h_prev.dtype(), ctx.op_name(),
                 [&](auto tag) { gru_forward_kernel<decltype(tag)>(gates_x, gates_h, h_prev, out, workspace); });
  return out;
}

std::vector<Tensor> gru_backward(const BackwardContext& ctx, const Tensor& grad, const NoAttrs&) {
  const Tensor& h_prev = ctx.saved("h");
  std::vector<Tensor> grads;
  if (is_grad_enabled()) {
    grads = gru_backward_with_ops(ctx.saved("gates_x"), ctx.saved("gates_h"), h_prev, grad);
  } else {
    const TensorOptions options{.dtype = h_prev.dtype()};
    const Shape gates_shape{h_prev.size(0), 3 * h_prev.size(1)};
    grads = {empty(gates_shape, options), empty(gates_shape, options), empty(h_prev.shape(), options)};
    visit_floating(h_prev.dtype(), ctx.op_name(), [&](auto tag) {
      gru_backward_kernel<decltype(tag)>(with_contiguous_rows(grad), with_contiguous_rows(ctx.saved("gates_h")),
                                         with_contiguous_rows(h_prev), ctx.saved("workspace"), grads[0], grads[1],
                                         grads[2]);
    });
  }
  for (std::size_t k = 0; k < grads.size(); ++k) {
    if (!ctx.needs_input_grad(k)) grads[k] = Tensor();
  }
  return grads;
}

std::vector<OpSample<NoAttrs>> gru_samples() {
  Generator gen(samples::kSeed + 1710);
  const auto sample = [&](std::string label, std::int64_t batch, std::int64_t h) {
    return OpSample<NoAttrs>{std::move(label),
                             {samples::arg({batch, 3 * h}, gen, -2.0, 2.0),
                              samples::arg({batch, 3 * h}, gen, -2.0, 2.0), samples::arg({batch, h}, gen, -2.0, 2.0)}};
  };
  return {sample("B 2, H 3", 2, 3),
          sample("B 1, H 2", 1, 2),
          sample("B 0, H 2 (empty batch)", 0, 2),
          {.label = "h [2, 3] for gates of H 2",
           .inputs = {samples::arg({2, 6}, gen), samples::arg({2, 6}, gen), samples::arg({2, 3}, gen)},
           .rejects = &typeid(ShapeError)}};
}

}  // namespace

OpDef<NoAttrs> make_gru_cell_pointwise_op() {
  return {
      .name = "gru_cell_pointwise",
      .arity = 3,
      .forward = gru_forward,
      .backward = gru_backward,
      .reference = gru_composition,
      .samples = gru_samples,
      .summary = "GRU cell gates and state update, fused: (gates_x, gates_h, h) -> h'",
  };
}

Tensor gru_cell_pointwise(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h) {
  return call(recurrent_ops().gru_cell_pointwise, {gates_x, gates_h, h});
}

}  // namespace tg
