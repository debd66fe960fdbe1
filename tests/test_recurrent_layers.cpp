// nn::LSTM and nn::GRU against a loop over the cells written here, in both layouts, with and
// without initial states, with and without recording; their gradients against that loop's
// and against finite differences; the same bits on 1 and 2 threads; parameters and errors.
#include <doctest/doctest.h>

#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/gradcheck.hpp"
#include "nn/modules/recurrent.hpp"
#include "ops/elementwise.hpp"
#include "ops/recurrent.hpp"
#include "ops/reduction.hpp"
#include "ops/shape_ops.hpp"
#include "recurrent_test_util.hpp"
#include "tensor/compare.hpp"
#include "tensor/error.hpp"
#include "tensor/parallel.hpp"
#include "tensor/random.hpp"
#include "test_nn_util.hpp"

using namespace tg;
using recurrent_test::uniform;

namespace {

constexpr std::int64_t kLength = 5, kBatch = 2, kInput = 3, kHidden = 4;

Tensor param(const nn::Module& m, const std::string& name) {
  for (const auto& [n, t] : m.named_parameters()) {
    if (n == name) return t;
  }
  return {};
}

Tensor step_of(const Tensor& x, bool batch_first, std::int64_t t) {
  return batch_first ? x.slice(1, t, t + 1).squeeze(1) : x.slice(0, t, t + 1).squeeze(0);
}

// The layers as a loop over lstm_cell / gru_cell: returns the output and the final states
// (h, then c for the LSTM), each [num_layers, B, H].
std::vector<Tensor> reference_run(const nn::RecurrentLayers& m, bool lstm, const Tensor& x,
                                  const std::vector<Tensor>& initial) {
  const bool bf = m.options().batch_first;
  const std::int64_t length = x.size(bf ? 1 : 0), batch = x.size(bf ? 0 : 1);
  std::vector<Tensor> steps;
  for (std::int64_t t = 0; t < length; ++t) steps.push_back(step_of(x, bf, t));
  std::vector<Tensor> finals_h, finals_c;
  for (std::int64_t l = 0; l < m.options().num_layers; ++l) {
    const auto p = [&](const char* what) { return param(m, fmt::format("{}_l{}", what, l)); };
    const auto init = [&](std::size_t k) {
      return initial[k].defined() ? initial[k].slice(0, l, l + 1).squeeze(0)
                                  : zeros({batch, m.hidden_size()}, {.dtype = x.dtype()});
    };
    Tensor h = init(0), c = lstm ? init(1) : Tensor();
    for (Tensor& s : steps) {
      if (lstm) {
        std::tie(h, c) = lstm_cell(s, h, c, p("weight_ih"), p("weight_hh"), p("bias_ih"), p("bias_hh"));
      } else {
        h = gru_cell(s, h, p("weight_ih"), p("weight_hh"), p("bias_ih"), p("bias_hh"));
      }
      s = h;
    }
    finals_h.push_back(h);
    finals_c.push_back(c);
  }
  std::vector<Tensor> out = {stack(steps, bf ? 1 : 0), stack(finals_h, 0)};
  if (lstm) out.push_back(stack(finals_c, 0));
  return out;
}

std::vector<Tensor> module_run(nn::RecurrentLayers& m, bool lstm, const Tensor& x, const std::vector<Tensor>& initial) {
  if (lstm) {
    const nn::LSTMOutput o = static_cast<nn::LSTM&>(m).forward(x, {initial[0], initial[1]});
    return {o.output, o.state.h, o.state.c};
  }
  const nn::GRUOutput o = static_cast<nn::GRU&>(m).forward(x, initial[0]);
  return {o.output, o.h};
}

std::unique_ptr<nn::RecurrentLayers> make_layers(bool lstm, nn::RNNOptions options) {
  if (lstm) return std::make_unique<nn::LSTM>(kInput, kHidden, options);
  return std::make_unique<nn::GRU>(kInput, kHidden, options);
}

}  // namespace

TEST_CASE("LSTM and GRU layers match a loop over the cells, values and gradients") {
  for (const bool lstm : {true, false}) {
    for (const bool batch_first : {false, true}) {
      for (const bool with_state : {false, true}) {
        CAPTURE(lstm);
        CAPTURE(batch_first);
        CAPTURE(with_state);
        manual_seed(7);
        auto m = make_layers(lstm, {.num_layers = 2, .batch_first = batch_first, .dtype = DType::Float64});
        Generator gen(8);
        const Shape x_shape = batch_first ? Shape{kBatch, kLength, kInput} : Shape{kLength, kBatch, kInput};
        const Tensor x = uniform(x_shape, gen).set_requires_grad();
        std::vector<Tensor> initial(lstm ? 2 : 1);
        if (with_state) {
          for (Tensor& s : initial) s = uniform({2, kBatch, kHidden}, gen).set_requires_grad();
        }
        const std::vector<Tensor> expected = reference_run(*m, lstm, x, initial);
        const std::vector<Tensor> got = module_run(*m, lstm, x, initial);
        std::vector<Tensor> unrecorded;
        {
          NoGradGuard no_grad;  // the whole-sequence input product
          unrecorded = module_run(*m, lstm, x, initial);
        }
        REQUIRE(got.size() == expected.size());
        CHECK(got[0].shape() == (batch_first ? Shape{kBatch, kLength, kHidden} : Shape{kLength, kBatch, kHidden}));
        for (std::size_t k = 0; k < got.size(); ++k) {
          CAPTURE(k);
          CHECK(got[k].shape() == expected[k].shape());
          CHECK(max_abs_diff(got[k], expected[k]) < 1e-14);
          CHECK(max_abs_diff(unrecorded[k], expected[k]) < 1e-14);
        }
        // Gradients of a random projection of every result, in x, the states and every weight.
        std::vector<Tensor> wrt = m->parameters();
        wrt.push_back(x);
        for (const Tensor& s : initial) {
          if (s.defined()) wrt.push_back(s);
        }
        const auto loss = [&](const std::vector<Tensor>& results) {
          Generator vgen(9);
          Tensor total = zeros({}, {.dtype = DType::Float64});
          for (const Tensor& r : results) total = total + sum(r * uniform(r.shape(), vgen));
          return total;
        };
        const std::vector<Tensor> g_got = grad({loss(got)}, wrt);
        const std::vector<Tensor> g_expected = grad({loss(expected)}, wrt);
        for (std::size_t k = 0; k < wrt.size(); ++k) {
          CAPTURE(k);
          CHECK(max_abs_diff(g_got[k], g_expected[k]) < 1e-13);
        }
      }
    }
  }
}

TEST_CASE("LSTM and GRU layers pass gradcheck in the input and the initial states") {
  for (const bool lstm : {true, false}) {
    CAPTURE(lstm);
    manual_seed(17);
    auto m = make_layers(lstm, {.num_layers = 2, .batch_first = true, .dtype = DType::Float64});
    Generator gen(18);
    std::vector<Tensor> in = {uniform({kBatch, 3, kInput}, gen).set_requires_grad()};
    for (int k = 0; k < (lstm ? 2 : 1); ++k) in.push_back(uniform({2, kBatch, kHidden}, gen).set_requires_grad());
    const auto fn = [&](const std::vector<Tensor>& v) {
      std::vector<Tensor> parts;
      for (const Tensor& r : module_run(*m, lstm, v[0], {v.begin() + 1, v.end()})) parts.push_back(flatten(r));
      return cat(parts, 0);
    };
    const GradcheckReport report = gradcheck(fn, in);
    CHECK_MESSAGE(report.passed, report.message);
  }
}

TEST_CASE("LSTM and GRU layers give the same bits on 1 and 2 threads") {
  const int saved = get_num_threads();
  for (const bool lstm : {true, false}) {
    CAPTURE(lstm);
    std::vector<std::vector<Tensor>> runs;
    for (const int threads : {1, 2}) {
      set_num_threads(threads);
      manual_seed(27);
      std::unique_ptr<nn::RecurrentLayers> m;
      if (lstm) {
        m = std::make_unique<nn::LSTM>(8, 64, nn::RNNOptions{.num_layers = 2});
      } else {
        m = std::make_unique<nn::GRU>(8, 64, nn::RNNOptions{.num_layers = 2});
      }
      Generator gen(28);
      const Tensor x = uniform({3, 130, 8}, gen, DType::Float32).set_requires_grad();
      std::vector<Tensor> results = module_run(*m, lstm, x, std::vector<Tensor>(lstm ? 2 : 1));
      sum(results[0] * results[0]).backward();
      results.push_back(x.grad());
      for (const Tensor& p : m->parameters()) results.push_back(p.grad());
      runs.push_back(results);
    }
    for (std::size_t k = 0; k < runs[0].size(); ++k) {
      CAPTURE(k);
      CHECK(equal(runs[0][k], runs[1][k]));
    }
  }
  set_num_threads(saved);
}

TEST_CASE("recurrent layers name their parameters as PyTorch and draw them from U(-1/sqrt(H), 1/sqrt(H))") {
  nn::LSTM lstm(3, 16, {.num_layers = 2});
  std::vector<std::string> names;
  for (const auto& [name, t] : lstm.named_parameters()) {
    names.push_back(name);
    CHECK(max_abs_diff(t, zeros_like(t)) <= 0.25);  // 1 / sqrt(16)
    CHECK(max_abs_diff(t, zeros_like(t)) > 0.2);
  }
  CHECK(names == std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l1",
                                          "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"});
  CHECK(param(lstm, "weight_ih_l0").shape() == Shape{64, 3});
  CHECK(param(lstm, "weight_ih_l1").shape() == Shape{64, 16});
  nn::GRU gru(3, 16, {.bias = false});
  CHECK(gru.named_parameters().size() == 2);
  CHECK(param(gru, "weight_hh_l0").shape() == Shape{48, 16});
  CHECK(gru.describe() == "GRU(input_size=3, hidden_size=16, num_layers=1, bias=false, batch_first=false, dropout=0)");
}

TEST_CASE("recurrent layers: dropout between layers in training only, and an empty sequence") {
  manual_seed(37);
  nn::LSTM lstm(kInput, kHidden, {.num_layers = 2, .dropout = 0.5, .dtype = DType::Float64});
  Generator gen(38);
  const Tensor x = uniform({kLength, kBatch, kInput}, gen);
  const Tensor trained = lstm.forward(x);
  lstm.eval();
  const Tensor evaluated = lstm.forward(x);
  CHECK(max_abs_diff(evaluated, reference_run(lstm, true, x, {Tensor(), Tensor()})[0]) < 1e-14);
  CHECK(max_abs_diff(trained, evaluated) > 1e-3);

  const Tensor h0 = uniform({2, kBatch, kHidden}, gen);
  const nn::LSTMOutput empty_run = lstm.forward(zeros({0, kBatch, kInput}, {.dtype = DType::Float64}), {h0, Tensor()});
  CHECK(empty_run.output.shape() == Shape{0, kBatch, kHidden});
  CHECK(equal(empty_run.state.h, h0));
  CHECK(equal(empty_run.state.c, zeros({2, kBatch, kHidden}, {.dtype = DType::Float64})));
}

TEST_CASE("recurrent layers reject wrong inputs, naming the layer and the shapes") {
  nn::LSTM lstm(kInput, kHidden, {.num_layers = 2});
  CHECK(nn_test::error_of<ShapeError>([&] {
          (void)lstm.forward(zeros({5, 2, 4}));
        }) == "LSTM: input must be [L, B, input_size = 3], got shape [5, 2, 4]");
  CHECK(nn_test::error_of<ShapeError>([&] {
          (void)lstm.forward(zeros({5, 2, 3}), {zeros({1, 2, 4}), Tensor()});
        }) ==
        "LSTM: an initial state has shape [1, 2, 4], expected [num_layers, B, H] = [2, 2, 4] for input [5, 2, 3]");
  CHECK(nn_test::error_of<DTypeError>([&] {
          (void)lstm.forward(zeros({5, 2, 3}, {.dtype = DType::Float64}));
        }) == "LSTM: input is float64, the parameters float32");
  nn::GRU gru(kInput, kHidden, {.batch_first = true});
  CHECK(nn_test::error_of<ShapeError>([&] {
          (void)gru.forward(zeros({2, 3}));
        }) == "GRU: input must be [B, L, input_size = 3], got shape [2, 3]");
  CHECK(nn_test::error_of<ValueError>([] { nn::GRU(3, 0); }) ==
        "GRU: input_size and hidden_size must be positive, got 3 and 0");
}
