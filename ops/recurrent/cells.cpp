// lstm_cell and gru_cell: one matrix product per weight for all gates at once, then the
// fused elementwise op (lstm_cell_pointwise.cpp, gru_cell_pointwise.cpp).
#include <string_view>

#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/recurrent.hpp"
#include "ops/shape_ops.hpp"
#include "tensor/error.hpp"

namespace tg {

namespace {

// Checks x [B, I], h [B, H], w_ih [gates * H, I], w_hh [gates * H, H], biases [gates * H]
// (or undefined), naming the op and the shapes.
void check_cell(std::string_view op, std::int64_t gates, const Tensor& x, const Tensor& h, const Tensor& w_ih,
                const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  TG_CHECK(x.dim() == 2 && h.dim() == 2 && x.size(0) == h.size(0), ShapeError,
           "{}: x must be [B, I] and h [B, H], got shapes {} and {}", op, x.shape(), h.shape());
  const std::int64_t hidden = h.size(1);
  TG_CHECK(w_ih.shape() == (Shape{gates * hidden, x.size(1)}), ShapeError,
           "{}: w_ih has shape {}, expected [{}, {}] for x {} and h {}", op, w_ih.shape(), gates * hidden, x.size(1),
           x.shape(), h.shape());
  TG_CHECK(w_hh.shape() == (Shape{gates * hidden, hidden}), ShapeError,
           "{}: w_hh has shape {}, expected [{}, {}] for h {}", op, w_hh.shape(), gates * hidden, hidden, h.shape());
  for (const Tensor* b : {&b_ih, &b_hh}) {
    TG_CHECK(!b->defined() || b->shape() == Shape{gates * hidden}, ShapeError,
             "{}: a bias has shape {}, expected [{}] for h {}", op, b->shape(), gates * hidden, h.shape());
  }
}

// x w^T (+ b).
Tensor gate_inputs(const Tensor& x, const Tensor& w, const Tensor& b) {
  const Tensor y = matmul(x, transpose(w, 0, 1));
  return b.defined() ? y + b : y;
}

}  // namespace

std::pair<Tensor, Tensor> lstm_cell(const Tensor& x, const Tensor& h, const Tensor& c, const Tensor& w_ih,
                                    const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  check_cell("lstm_cell", 4, x, h, w_ih, w_hh, b_ih, b_hh);
  TG_CHECK(c.shape() == h.shape(), ShapeError, "lstm_cell: c has shape {}, h {} (both [B, H])", c.shape(), h.shape());
  const Tensor out = lstm_cell_pointwise(gate_inputs(x, w_ih, b_ih), gate_inputs(h, w_hh, b_hh), c);
  const std::int64_t hidden = h.size(1);
  return {slice(out, 1, 0, hidden), slice(out, 1, hidden, 2 * hidden)};
}

Tensor gru_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                const Tensor& b_hh) {
  check_cell("gru_cell", 3, x, h, w_ih, w_hh, b_ih, b_hh);
  return gru_cell_pointwise(gate_inputs(x, w_ih, b_ih), gate_inputs(h, w_hh, b_hh), h);
}

}  // namespace tg
