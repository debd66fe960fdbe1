// What the LSTM cell op and the LSTM sequence op share: the fused pointwise kernels of one
// step (forward and plain backward, on rows of any stride) and the backward formulas as ops
// (for create_graph). lstm_cell_pointwise.cpp states the math.
#pragma once

#include <cstdint>
#include <utility>

#include "ops/kernels/math/recurrent_rows.hpp"
#include "ops/recurrent/recurrent_kernels.hpp"
#include "tensor/parallel.hpp"

namespace tg::recurrent_detail {

// The backward formulas of one step as ops (differentiable again): returns {d gates, dc}
// for the pre-activations gates_x + gates_h, the state c and the output gradient [dh', dc'].
std::pair<Tensor, Tensor> lstm_backward_with_ops(const Tensor& gates_x, const Tensor& gates_h, const Tensor& c,
                                                 const Tensor& grad);

// Forward of one step over `batch` rows (kernels::lstm_forward_row). The workspace row (5H,
// contiguous) holds i, f, g, o, tanh(c'): the plain backward reads them. out rows are
// [h', c'].
template <class T>
void lstm_step_forward(std::int64_t batch, std::int64_t h, Rows<const T> gx, Rows<const T> gh, Rows<const T> cs,
                       Rows<T> ys, T* ws) {
  parallel_for(batch, rows_grain(4 * h), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t b = begin; b < end; ++b) {
      kernels::lstm_forward_row(kernels::LstmForwardRow<T>{.gates_x = gx.row(b),
                                                           .gates_h = gh.row(b),
                                                           .c = cs.row(b),
                                                           .y = ys.row(b),
                                                           .workspace = ws + b * 5 * h,
                                                           .h = h});
    }
  });
}

// Plain backward of one step: from the output gradient rows [dh', dc'], the state c and the
// forward's workspace, the gate gradients (rows of 4H, contiguous) and dc.
template <class T>
void lstm_step_backward(std::int64_t batch, std::int64_t h, Rows<const T> gs, Rows<const T> cs, const T* ws, T* da,
                        Rows<T> dcs) {
  parallel_for(batch, rows_grain(4 * h), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t b = begin; b < end; ++b) {
      const T* __restrict g_row = gs.row(b);
      const T* __restrict cb = cs.row(b);
      const T* __restrict w = ws + b * 5 * h;
      T* __restrict d = da + b * 4 * h;
      T* __restrict dcb = dcs.row(b);
      for (std::int64_t j = 0; j < h; ++j) {
        const T i = w[j], f = w[h + j], g = w[2 * h + j], o = w[3 * h + j], tc = w[4 * h + j];
        const T dh = g_row[j];
        const T dc_total = g_row[h + j] + dh * o * (T(1) - tc * tc);
        d[j] = dc_total * g * i * (T(1) - i);
        d[h + j] = dc_total * cb[j] * f * (T(1) - f);
        d[2 * h + j] = dc_total * i * (T(1) - g * g);
        d[3 * h + j] = dh * tc * o * (T(1) - o);
        dcb[j] = dc_total * f;
      }
    }
  });
}

}  // namespace tg::recurrent_detail
