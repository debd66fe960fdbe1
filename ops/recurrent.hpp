// Recurrent cells (LSTM, GRU), as PyTorch's fused cells: the gate pre-activations of all
// gates come from one matrix product per weight, and the elementwise rest is one op with a
// hand-derived backward (docs/recurrent.md).
#pragma once

#include <utility>

#include "tensor/tensor.hpp"

namespace tg {

// One LSTM step, gate order i, f, g, o (PyTorch's): x [B, I], h and c [B, H], w_ih [4H, I],
// w_hh [4H, H], biases [4H] (undefined: none). Returns (h', c'), each [B, H] (views of one
// [B, 2H] result).
std::pair<Tensor, Tensor> lstm_cell(const Tensor& x, const Tensor& h, const Tensor& c, const Tensor& w_ih,
                                    const Tensor& w_hh, const Tensor& b_ih = {}, const Tensor& b_hh = {});
// One GRU step, gate order r, z, n (PyTorch's): w_ih [3H, I], w_hh [3H, H], biases [3H].
// n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h.
Tensor gru_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih = {},
                const Tensor& b_hh = {});

// The fused elementwise parts, for callers that form the gate pre-activations themselves
// (a layer projecting all time steps at once). gates_x and gates_h are [B, 4H] (LSTM) or
// [B, 3H] (GRU) and include the biases.
// LSTM: returns [B, 2H] = [h', c'].
Tensor lstm_cell_pointwise(const Tensor& gates_x, const Tensor& gates_h, const Tensor& c);
// GRU: returns h' [B, H].
Tensor gru_cell_pointwise(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h);

// One LSTM layer over a whole sequence, fused: gates_x [T, B, 4H] holds x_t W_ih^T + b_ih +
// b_hh of every step, h0 and c0 are [B, H], w_hh [4H, H]. Returns [T, B, 2H], [h_t, c_t] of
// every step (the last step's halves are the final state). The same values as a loop of
// matmul(h, w_hh^T) and lstm_cell_pointwise, with W_hh packed once for all steps and its
// gradient one product over the whole sequence.
Tensor lstm_sequence(const Tensor& gates_x, const Tensor& h0, const Tensor& c0, const Tensor& w_hh);

}  // namespace tg
