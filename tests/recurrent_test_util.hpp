// Helpers shared by the recurrent tests: random inputs and the gate math of the LSTM and
// GRU cells written out element by element in long double, independent of the ops.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "nn/modules/init.hpp"
#include "tensor/tensor.hpp"

namespace recurrent_test {

inline tg::Tensor uniform(const tg::Shape& shape, tg::Generator& gen, tg::DType dtype = tg::DType::Float64,
                          double bound = 1.0) {
  tg::Tensor t = tg::empty(shape, {.dtype = dtype});
  tg::nn::init::uniform_(t, -bound, bound, gen);
  return t;
}

using Matrix = std::vector<std::vector<long double>>;

inline Matrix to_matrix(const tg::Tensor& t) {
  Matrix m(static_cast<std::size_t>(t.size(0)), std::vector<long double>(static_cast<std::size_t>(t.size(1))));
  for (std::int64_t i = 0; i < t.size(0); ++i) {
    for (std::int64_t j = 0; j < t.size(1); ++j) m[i][j] = t.value({i, j});
  }
  return m;
}

// pre[b][k] = sum_i x[b][i] w_ih[k][i] + b_ih[k] + sum_j h[b][j] w_hh[k][j] + b_hh[k]; the
// input and hidden parts are kept apart (the GRU needs them apart).
struct GatePreactivations {
  Matrix from_x, from_h;
};

inline GatePreactivations preactivations(const tg::Tensor& x, const tg::Tensor& h, const tg::Tensor& w_ih,
                                         const tg::Tensor& w_hh, const tg::Tensor& b_ih, const tg::Tensor& b_hh) {
  const Matrix xm = to_matrix(x), hm = to_matrix(h), wi = to_matrix(w_ih), wh = to_matrix(w_hh);
  GatePreactivations p{Matrix(xm.size(), std::vector<long double>(wi.size())),
                       Matrix(xm.size(), std::vector<long double>(wi.size()))};
  for (std::size_t b = 0; b < xm.size(); ++b) {
    for (std::size_t k = 0; k < wi.size(); ++k) {
      long double sx = b_ih.defined() ? b_ih.value({static_cast<std::int64_t>(k)}) : 0.0L;
      long double sh = b_hh.defined() ? b_hh.value({static_cast<std::int64_t>(k)}) : 0.0L;
      for (std::size_t i = 0; i < wi[k].size(); ++i) sx += xm[b][i] * wi[k][i];
      for (std::size_t j = 0; j < wh[k].size(); ++j) sh += hm[b][j] * wh[k][j];
      p.from_x[b][k] = sx;
      p.from_h[b][k] = sh;
    }
  }
  return p;
}

inline long double logistic(long double v) { return 1.0L / (1.0L + std::exp(-v)); }

// (h', c') of an LSTM cell, gate order i, f, g, o.
inline std::pair<Matrix, Matrix> naive_lstm_cell(const tg::Tensor& x, const tg::Tensor& h, const tg::Tensor& c,
                                                 const tg::Tensor& w_ih, const tg::Tensor& w_hh, const tg::Tensor& b_ih,
                                                 const tg::Tensor& b_hh) {
  const GatePreactivations p = preactivations(x, h, w_ih, w_hh, b_ih, b_hh);
  const Matrix cm = to_matrix(c);
  const std::size_t hidden = cm[0].size();
  Matrix h_next = cm, c_next = cm;
  for (std::size_t b = 0; b < cm.size(); ++b) {
    const auto a = [&](std::size_t gate, std::size_t j) {
      return p.from_x[b][gate * hidden + j] + p.from_h[b][gate * hidden + j];
    };
    for (std::size_t j = 0; j < hidden; ++j) {
      const long double i = logistic(a(0, j)), f = logistic(a(1, j)), g = std::tanh(a(2, j)), o = logistic(a(3, j));
      c_next[b][j] = f * cm[b][j] + i * g;
      h_next[b][j] = o * std::tanh(c_next[b][j]);
    }
  }
  return {h_next, c_next};
}

// h' of a GRU cell, gate order r, z, n.
inline Matrix naive_gru_cell(const tg::Tensor& x, const tg::Tensor& h, const tg::Tensor& w_ih, const tg::Tensor& w_hh,
                             const tg::Tensor& b_ih, const tg::Tensor& b_hh) {
  const GatePreactivations p = preactivations(x, h, w_ih, w_hh, b_ih, b_hh);
  const Matrix hm = to_matrix(h);
  const std::size_t hidden = hm[0].size();
  Matrix out = hm;
  for (std::size_t b = 0; b < hm.size(); ++b) {
    for (std::size_t j = 0; j < hidden; ++j) {
      const long double r = logistic(p.from_x[b][j] + p.from_h[b][j]);
      const long double z = logistic(p.from_x[b][hidden + j] + p.from_h[b][hidden + j]);
      const long double n = std::tanh(p.from_x[b][2 * hidden + j] + r * p.from_h[b][2 * hidden + j]);
      out[b][j] = (1.0L - z) * n + z * hm[b][j];
    }
  }
  return out;
}

// The largest |t - m| over all elements.
inline double max_diff(const tg::Tensor& t, const Matrix& m) {
  long double worst = 0.0L;
  for (std::int64_t i = 0; i < t.size(0); ++i) {
    for (std::int64_t j = 0; j < t.size(1); ++j) {
      worst = std::max(worst, std::fabs(static_cast<long double>(t.value({i, j})) - m[i][j]));
    }
  }
  return static_cast<double>(worst);
}

}  // namespace recurrent_test
