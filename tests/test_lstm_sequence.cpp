// lstm_sequence against the loop it fuses (per step matmul(h, W_hh^T) and
// lstm_cell_pointwise): the same forward bits in float32 (the step products are gemm's on the
// same operands), gradients within rounding in float64, and its shape errors.
#include <doctest/doctest.h>

#include "autograd/engine.hpp"
#include "ops/linalg.hpp"
#include "ops/recurrent.hpp"
#include "ops/shape_ops.hpp"
#include "recurrent_test_util.hpp"
#include "tensor/compare.hpp"
#include "tensor/error.hpp"
#include "tensor/random.hpp"
#include "test_nn_util.hpp"

using namespace tg;
using recurrent_test::uniform;

namespace {

// The loop the op replaces, as the LSTM module ran it before the op existed.
Tensor loop_of_cells(const Tensor& gates_x, const Tensor& h0, const Tensor& c0, const Tensor& w_hh) {
  const std::int64_t h = h0.size(1);
  const Tensor w_hh_t = transpose(w_hh, 0, 1);
  Tensor h_prev = h0, c_prev = c0;
  std::vector<Tensor> out;
  for (std::int64_t t = 0; t < gates_x.size(0); ++t) {
    out.push_back(lstm_cell_pointwise(squeeze(slice(gates_x, 0, t, t + 1), 0), matmul(h_prev, w_hh_t), c_prev));
    h_prev = slice(out.back(), 1, 0, h);
    c_prev = slice(out.back(), 1, h, 2 * h);
  }
  return stack(out, 0);
}

}  // namespace

TEST_CASE("lstm_sequence gives the bits of the loop of cells in float32") {
  Generator gen(41);
  // T 7, B 5, H 24: several register tiles of the step products; w_hh also as a transposed view.
  const Tensor gates_x = uniform({7, 5, 96}, gen, DType::Float32, 2.0);
  const Tensor h0 = uniform({5, 24}, gen, DType::Float32), c0 = uniform({5, 24}, gen, DType::Float32);
  const Tensor w_hh = uniform({96, 24}, gen, DType::Float32, 0.3);
  const Tensor w_hh_strided = transpose(contiguous(transpose(w_hh, 0, 1)), 0, 1);
  for (const Tensor& w : {w_hh, w_hh_strided}) {
    CHECK(max_abs_diff(lstm_sequence(gates_x, h0, c0, w), loop_of_cells(gates_x, h0, c0, w)) == 0.0);
  }
}

TEST_CASE("lstm_sequence gradients match the loop of cells") {
  Generator gen(43);
  std::vector<Tensor> in = {
      uniform({6, 3, 20}, gen, DType::Float64, 2.0).set_requires_grad(), uniform({3, 5}, gen).set_requires_grad(),
      uniform({3, 5}, gen, DType::Float64, 2.0).set_requires_grad(), uniform({20, 5}, gen).set_requires_grad()};
  const Tensor v = uniform({6, 3, 10}, gen);
  const std::vector<Tensor> got = grad({lstm_sequence(in[0], in[1], in[2], in[3])}, in, {v});
  const std::vector<Tensor> want = grad({loop_of_cells(in[0], in[1], in[2], in[3])}, in, {v});
  for (std::size_t k = 0; k < in.size(); ++k) {
    CAPTURE(k);
    CHECK(max_abs_diff(got[k], want[k]) < 1e-13);
    CHECK(max_abs_diff(got[k], zeros_like(got[k])) > 1e-3);  // not vacuous
  }
}

TEST_CASE("lstm_sequence rejects wrong shapes and dtypes, naming the op and the shapes") {
  const Tensor gx = zeros({2, 3, 8}), h = zeros({3, 2}), w = zeros({8, 2});
  CHECK(nn_test::error_of<ShapeError>([&] {
          (void)lstm_sequence(zeros({3, 8}), h, h, w);
        }) == "lstm_sequence: gates_x must be [T, B, 4 * H], got shape [3, 8]");
  CHECK(nn_test::error_of<ShapeError>([&] {
          (void)lstm_sequence(gx, h, zeros({2, 2}), w);
        }) == "lstm_sequence: c0 has shape [2, 2], expected [B, H] = [3, 2] for gates_x [2, 3, 8]");
  CHECK(nn_test::error_of<ShapeError>([&] {
          (void)lstm_sequence(gx, h, h, zeros({2, 8}));
        }) == "lstm_sequence: w_hh has shape [2, 8], expected [4H, H] = [8, 2] for gates_x [2, 3, 8]");
  CHECK(nn_test::error_of<DTypeError>([&] {
          (void)lstm_sequence(gx, h, h, zeros({8, 2}, {.dtype = DType::Float64}));
        }) == "lstm_sequence: operands must share one floating dtype, got float32, float32, float32 and float64");
}
