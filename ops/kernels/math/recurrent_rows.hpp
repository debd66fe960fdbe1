// The pointwise forward of one LSTM or GRU step on one batch row, fused, at the widest SIMD
// width the CPU offers for float32 (the path follows vec_activation.hpp's). Every path
// evaluates recurrent_rows_loops.hpp's operations in the same order without contraction,
// and the gates' sigmoid and tanh through kernels::exp's fixed polynomial, so the bits are
// the same on every path. float64 runs the baseline loops with libm's exp and tanh.
// On a Zen 3, the LSTM layer 256 -> 256 (batch 32, 64 steps) forward on one thread: 35.7 ms
// with the former single loop per row (its cell-state loop stayed scalar), 32.1 ms with one
// map per loop at the baseline ISA, 28.9 ms on the AVX2 path (medians of 40 calls each).
// ops/recurrent/ states the math (lstm_cell_pointwise.cpp, gru_cell_pointwise.cpp).
#pragma once

#include <cstdint>

namespace tg::kernels {

// gates_x and gates_h: the row's 4H pre-activations (gate order i, f, g, o) from the input
// and the hidden state; c: the state. Writes y = [h', c'] (2H) and the workspace row (5H):
// i, f, g, o and tanh(c'), which the plain backward reads. No pointer may overlap another.
template <class T>
struct LstmForwardRow {
  const T* gates_x;
  const T* gates_h;
  const T* c;
  T* y;
  T* workspace;
  std::int64_t h;
};

// gates_x and gates_h: the row's 3H pre-activations (gate order r, z, n); h_prev: the
// hidden state. Writes y = h' (H) and the workspace row (3H): r, z, n. No pointer may
// overlap another.
template <class T>
struct GruForwardRow {
  const T* gates_x;
  const T* gates_h;
  const T* h_prev;
  T* y;
  T* workspace;
  std::int64_t h;
};

void lstm_forward_row(const LstmForwardRow<float>& r);
void lstm_forward_row(const LstmForwardRow<double>& r);
void gru_forward_row(const GruForwardRow<float>& r);
void gru_forward_row(const GruForwardRow<double>& r);

namespace recurrent_rows_detail {
void lstm_forward_row_avx2(const LstmForwardRow<float>& r);
void lstm_forward_row_avx512(const LstmForwardRow<float>& r);
void gru_forward_row_avx2(const GruForwardRow<float>& r);
void gru_forward_row_avx512(const GruForwardRow<float>& r);
}  // namespace recurrent_rows_detail

}  // namespace tg::kernels
