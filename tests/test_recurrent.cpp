// The recurrent cells: values against the gate math in long double, the fused kernels'
// bits on every SIMD path, the fused backward kernels against the same formulas run as ops,
// gradients against finite differences, and the errors for wrong shapes.
#include <doctest/doctest.h>

#include "attention_test_util.hpp"
#include "autograd/engine.hpp"
#include "autograd/gradcheck.hpp"
#include "ops/elementwise.hpp"
#include "ops/recurrent.hpp"
#include "ops/reduction.hpp"
#include "ops/shape_ops.hpp"
#include "recurrent_test_util.hpp"
#include "tensor/compare.hpp"
#include "tensor/error.hpp"
#include "tensor/random.hpp"
#include "test_nn_util.hpp"

using namespace tg;
using recurrent_test::max_diff;
using recurrent_test::uniform;

namespace {

struct CellArgs {
  Tensor x, h, c, w_ih, w_hh, b_ih, b_hh;
};

// B 3, I 4, H 5; `gates` = 4 (LSTM) or 3 (GRU).
CellArgs cell_args(std::int64_t gates, DType dtype, std::uint64_t seed, bool bias = true) {
  Generator gen(seed);
  CellArgs a{uniform({3, 4}, gen, dtype),
             uniform({3, 5}, gen, dtype),
             uniform({3, 5}, gen, dtype, 2.0),
             uniform({gates * 5, 4}, gen, dtype),
             uniform({gates * 5, 5}, gen, dtype),
             Tensor(),
             Tensor()};
  if (bias) {
    a.b_ih = uniform({gates * 5}, gen, dtype);
    a.b_hh = uniform({gates * 5}, gen, dtype);
  }
  return a;
}

}  // namespace

TEST_CASE("lstm_cell matches the gate math in long double") {
  for (const bool bias : {true, false}) {
    for (const DType dtype : {DType::Float64, DType::Float32}) {
      CAPTURE(bias);
      CAPTURE(dtype);
      const CellArgs a = cell_args(4, dtype, 11, bias);
      const auto [h, c] = lstm_cell(a.x, a.h, a.c, a.w_ih, a.w_hh, a.b_ih, a.b_hh);
      const auto [h_ref, c_ref] = recurrent_test::naive_lstm_cell(a.x, a.h, a.c, a.w_ih, a.w_hh, a.b_ih, a.b_hh);
      const double tol = dtype == DType::Float64 ? 1e-14 : 2e-6;
      CHECK(h.shape() == Shape{3, 5});
      CHECK(max_diff(h, h_ref) < tol);
      CHECK(max_diff(c, c_ref) < tol);
    }
  }
}

TEST_CASE("gru_cell matches the gate math in long double") {
  for (const bool bias : {true, false}) {
    for (const DType dtype : {DType::Float64, DType::Float32}) {
      CAPTURE(bias);
      CAPTURE(dtype);
      const CellArgs a = cell_args(3, dtype, 12, bias);
      const Tensor h = gru_cell(a.x, a.h, a.w_ih, a.w_hh, a.b_ih, a.b_hh);
      const double tol = dtype == DType::Float64 ? 1e-14 : 2e-6;
      CHECK(max_diff(h, recurrent_test::naive_gru_cell(a.x, a.h, a.w_ih, a.w_hh, a.b_ih, a.b_hh)) < tol);
    }
  }
}

TEST_CASE("the cells saturate without overflow") {
  // Pre-activations of +-1000: e^-x overflows in a naive sigmoid and tanh; the gates must be
  // exactly 0 or 1 (float) and the state finite.
  for (const DType dtype : {DType::Float32, DType::Float64}) {
    const Tensor big = full({1, 4}, 1000.0, {.dtype = dtype});
    const Tensor out = lstm_cell_pointwise(big, -0.5 * big, full({1, 1}, 0.25, {.dtype = dtype}));
    // i = f = o = 1, g = 1: c' = 0.25 + 1, h' = tanh(1.25).
    CHECK(out.value({0, 1}) == doctest::Approx(1.25).epsilon(1e-7));
    CHECK(out.value({0, 0}) == doctest::Approx(std::tanh(1.25)).epsilon(1e-6));
    const Tensor neg = full({1, 3}, -1000.0, {.dtype = dtype});
    // r = z = 0, n = tanh(-1000) = -1: h' = -1.
    CHECK(gru_cell_pointwise(neg, neg, ones({1, 1}, {.dtype = dtype})).value({0, 0}) == -1.0);
  }
}

TEST_CASE("the cells' float32 kernels give the same bits on every SIMD path, layout and thread count") {
  // Rows of 37: whole vectors of 8 and 16 lanes and a remainder. Pre-activations over
  // [-12, 12] reach both saturations of the gates; every output and gradient is compared.
  Generator gen(31);
  const std::int64_t batch = 6, h = 37;
  const Tensor lstm_gates = recurrent_test::uniform({batch, 4 * h}, gen, DType::Float32, 12.0);
  const Tensor gru_gates = recurrent_test::uniform({batch, 3 * h}, gen, DType::Float32, 12.0);
  const Tensor c = recurrent_test::uniform({batch, h}, gen, DType::Float32, 2.0);
  const Tensor g_lstm = recurrent_test::uniform({batch, 2 * h}, gen, DType::Float32);
  const Tensor g_gru = recurrent_test::uniform({batch, h}, gen, DType::Float32);
  // The gates from the input come in as given (contiguous or strided); those from the
  // hidden state are the same values reversed along the row.
  const auto run = [&](const Tensor& gates) {
    const bool is_lstm = gates.size(1) == 4 * h;
    const Tensor gx = gates.detach().set_requires_grad(true);
    const Tensor gh = flip(gates.detach(), {1}).contiguous().set_requires_grad(true);
    const Tensor out = is_lstm ? lstm_cell_pointwise(gx, gh, c) : gru_cell_pointwise(gx, gh, c);
    std::vector<Tensor> all = grad({out}, {gx, gh}, {is_lstm ? g_lstm : g_gru});
    all.push_back(out);
    return all;
  };
  for (const Tensor& gates : {lstm_gates, gru_gates}) {
    const Tensor strided = gates.t().contiguous().t();  // the same values, strided
    REQUIRE_FALSE(strided.is_contiguous());
    attention_test::check_same_bits_everywhere(run, {gates, strided});
  }
}

// The gradients of every input of `f` at v, by a plain backward (the fused kernels) and by a
// create_graph backward (the same formulas as ops).
template <class F>
void check_plain_equals_create_graph(const std::vector<Tensor>& inputs, F f) {
  Generator gen(5);
  const Tensor out = f(inputs);
  const Tensor v = uniform(out.shape(), gen);
  const std::vector<Tensor> plain = grad({f(inputs)}, inputs, {v});
  const std::vector<Tensor> as_ops = grad({f(inputs)}, inputs, {v}, {.create_graph = true});
  REQUIRE(plain.size() == as_ops.size());
  for (std::size_t k = 0; k < plain.size(); ++k) {
    CAPTURE(k);
    CHECK(max_abs_diff(plain[k], as_ops[k]) < 1e-14);
    CHECK(max_abs_diff(plain[k], zeros_like(plain[k])) > 1e-3);  // not vacuous
  }
}

TEST_CASE("the fused backward kernels agree with the backward formulas run as ops") {
  Generator gen(21);
  const auto args = [&](std::int64_t gates) {
    return std::vector<Tensor>{uniform({3, gates * 4}, gen, DType::Float64, 2.0).set_requires_grad(),
                               uniform({3, gates * 4}, gen, DType::Float64, 2.0).set_requires_grad(),
                               uniform({3, 4}, gen, DType::Float64, 2.0).set_requires_grad()};
  };
  check_plain_equals_create_graph(
      args(4), [](const std::vector<Tensor>& in) { return lstm_cell_pointwise(in[0], in[1], in[2]); });
  check_plain_equals_create_graph(
      args(3), [](const std::vector<Tensor>& in) { return gru_cell_pointwise(in[0], in[1], in[2]); });
  // The sequence op: T 4, B 3, H 4 (gates_x, h0, c0, w_hh).
  check_plain_equals_create_graph(
      {uniform({4, 3, 16}, gen, DType::Float64, 2.0).set_requires_grad(), uniform({3, 4}, gen).set_requires_grad(),
       uniform({3, 4}, gen, DType::Float64, 2.0).set_requires_grad(), uniform({16, 4}, gen).set_requires_grad()},
      [](const std::vector<Tensor>& in) { return lstm_sequence(in[0], in[1], in[2], in[3]); });
}

TEST_CASE("lstm_cell and gru_cell pass gradcheck and gradgradcheck in every input") {
  for (const bool bias : {true, false}) {
    CAPTURE(bias);
    CellArgs a = cell_args(4, DType::Float64, 31, bias);
    std::vector<Tensor> in = {a.x, a.h, a.c, a.w_ih, a.w_hh};
    if (bias) in.insert(in.end(), {a.b_ih, a.b_hh});
    for (Tensor& t : in) t.set_requires_grad();
    const auto lstm_both = [bias](const std::vector<Tensor>& v) {
      const auto [h, c] = lstm_cell(v[0], v[1], v[2], v[3], v[4], bias ? v[5] : Tensor(), bias ? v[6] : Tensor());
      return cat({h, c}, 1);
    };
    const GradcheckReport lstm_report = gradcheck(lstm_both, in);
    CHECK_MESSAGE(lstm_report.passed, lstm_report.message);
    const GradcheckReport lstm_second = gradgradcheck(lstm_both, in);
    CHECK_MESSAGE(lstm_second.passed, lstm_second.message);

    CellArgs g = cell_args(3, DType::Float64, 32, bias);
    std::vector<Tensor> gin = {g.x, g.h, g.w_ih, g.w_hh};
    if (bias) gin.insert(gin.end(), {g.b_ih, g.b_hh});
    for (Tensor& t : gin) t.set_requires_grad();
    const auto gru = [bias](const std::vector<Tensor>& v) {
      return gru_cell(v[0], v[1], v[2], v[3], bias ? v[4] : Tensor(), bias ? v[5] : Tensor());
    };
    const GradcheckReport gru_report = gradcheck(gru, gin);
    CHECK_MESSAGE(gru_report.passed, gru_report.message);
    const GradcheckReport gru_second = gradgradcheck(gru, gin);
    CHECK_MESSAGE(gru_second.passed, gru_second.message);
  }
}

TEST_CASE("the cells reject wrong shapes, naming the op and the shapes") {
  const CellArgs a = cell_args(4, DType::Float64, 41);
  const auto lstm_error = [&](const Tensor& x, const Tensor& h, const Tensor& c, const Tensor& w_ih, const Tensor& b) {
    return nn_test::error_of<ShapeError>([&] { (void)lstm_cell(x, h, c, w_ih, a.w_hh, b); });
  };
  CHECK(lstm_error(a.x, a.h, a.c, a.w_ih.slice(1, 0, 3), a.b_ih) ==
        "lstm_cell: w_ih has shape [20, 3], expected [20, 4] for x [3, 4] and h [3, 5]");
  CHECK(lstm_error(a.x, a.h, a.c.slice(0, 0, 2), a.w_ih, a.b_ih) ==
        "lstm_cell: c has shape [2, 5], h [3, 5] (both [B, H])");
  CHECK(lstm_error(a.x.slice(0, 0, 2), a.h, a.c, a.w_ih, a.b_ih) ==
        "lstm_cell: x must be [B, I] and h [B, H], got shapes [2, 4] and [3, 5]");
  CHECK(lstm_error(a.x, a.h, a.c, a.w_ih, a.b_ih.slice(0, 0, 4)) ==
        "lstm_cell: a bias has shape [4], expected [20] for h [3, 5]");
  const CellArgs g = cell_args(3, DType::Float64, 42);
  CHECK(nn_test::error_of<ShapeError>([&] { (void)gru_cell(g.x, g.h, g.w_ih, g.w_ih); }) ==
        "gru_cell: w_hh has shape [15, 4], expected [15, 5] for h [3, 5]");
  CHECK(nn_test::error_of<ShapeError>([&] {
          (void)lstm_cell_pointwise(zeros({2, 8}), zeros({2, 8}), zeros({2, 3}));
        }) == "lstm_cell_pointwise: the state has shape [2, 3], expected [2, 2] (gates_x [2, 8])");
  CHECK(nn_test::error_of<ShapeError>([&] {
          (void)gru_cell_pointwise(zeros({2, 6}), zeros({2, 3}), zeros({2, 2}));
        }) == "gru_cell_pointwise: gates_h has shape [2, 3], gates_x [2, 6] (both [B, 3 * H])");
  CHECK(nn_test::error_of<DTypeError>([&] {
          (void)gru_cell_pointwise(zeros({2, 6}), zeros({2, 6}), zeros({2, 2}, {.dtype = DType::Float64}));
        }).find("gru_cell_pointwise: operands must share one floating dtype") == 0);
}
