#include "nn/modules/recurrent.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "autograd/grad_mode.hpp"
#include "nn/modules/functional.hpp"
#include "nn/modules/init.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/recurrent.hpp"
#include "ops/shape_ops.hpp"

namespace tg::nn {

namespace {

// Index `i` of dim `dim`, the dim removed: a view.
Tensor select(const Tensor& x, std::int64_t dim, std::int64_t i) { return squeeze(slice(x, dim, i, i + 1), dim); }

// The input gates x_t W_ih^T + bias of every step. Without gradients, one product over the
// whole sequence. With them, one product per step: the steps of a whole-sequence product are
// slices, and the gradient of each slice is a tensor of the whole sequence's size, so the
// backward would cost time quadratic in the length (docs/recurrent.md has the measurement).
std::vector<Tensor> input_gates(const std::vector<Tensor>& steps, const Tensor& w_ih, const Tensor& bias,
                                std::int64_t time_dim) {
  const Tensor w_ih_t = transpose(w_ih, 0, 1);
  const auto add_bias = [&bias](const Tensor& t) { return bias.defined() ? t + bias : t; };
  const bool needs_grad = w_ih.requires_grad() || (bias.defined() && bias.requires_grad()) ||
                          std::any_of(steps.begin(), steps.end(), [](const Tensor& t) { return t.requires_grad(); });
  std::vector<Tensor> out;
  if (steps.empty()) return out;
  if (is_grad_enabled() && needs_grad) {
    for (const Tensor& x_t : steps) out.push_back(add_bias(matmul(x_t, w_ih_t)));
    return out;
  }
  const Tensor seq = stack(steps, time_dim);  // [L, B, I] or [B, L, I]
  const Tensor gates = add_bias(matmul(reshape(seq, {-1, seq.size(2)}), w_ih_t));
  const Tensor gates3 = reshape(gates, {seq.size(0), seq.size(1), gates.size(1)});
  for (std::int64_t t = 0; t < seq.size(time_dim); ++t) out.push_back(select(gates3, time_dim, t));
  return out;
}

}  // namespace

RecurrentLayers::RecurrentLayers(std::string type_name, std::int64_t gates, std::int64_t input_size,
                                 std::int64_t hidden_size, RNNOptions options)
    : Module(std::move(type_name)), input_size_(input_size), hidden_size_(hidden_size), options_(options) {
  TG_CHECK(input_size > 0 && hidden_size > 0, ValueError,
           "{}: input_size and hidden_size must be positive, got {} and {}", this->type_name(), input_size,
           hidden_size);
  TG_CHECK(options.num_layers >= 1, ValueError, "{}: num_layers must be at least 1, got {}", this->type_name(),
           options.num_layers);
  TG_CHECK(options.dropout >= 0.0 && options.dropout <= 1.0, ValueError, "{}: dropout must be in [0, 1], got {}",
           this->type_name(), options.dropout);
  const TensorOptions dtype{.dtype = options.dtype};
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  for (std::int64_t l = 0; l < options.num_layers; ++l) {
    const std::int64_t in = l == 0 ? input_size : hidden_size;
    LayerWeights w;
    w.w_ih = register_parameter(fmt::format("weight_ih_l{}", l), empty({gates * hidden_size, in}, dtype));
    w.w_hh = register_parameter(fmt::format("weight_hh_l{}", l), empty({gates * hidden_size, hidden_size}, dtype));
    if (options.bias) {
      w.b_ih = register_parameter(fmt::format("bias_ih_l{}", l), empty({gates * hidden_size}, dtype));
      w.b_hh = register_parameter(fmt::format("bias_hh_l{}", l), empty({gates * hidden_size}, dtype));
    }
    layers_.push_back(w);
  }
  // PyTorch draws every parameter from U(-1/sqrt(H), 1/sqrt(H)) in registration order.
  for (const Tensor& p : parameters(false)) init::uniform_(p, -bound, bound);
  dropout_gen_ = default_generator().fork();
  register_generator("dropout_generator", dropout_gen_);
}

void RecurrentLayers::check_input(const Tensor& x) const {
  TG_CHECK(x.dim() == 3 && x.size(2) == input_size_, ShapeError,
           "{}: input must be [{}, {}, input_size = {}], got shape {}", type_name(), options_.batch_first ? "B" : "L",
           options_.batch_first ? "L" : "B", input_size_, x.shape());
  TG_CHECK(x.dtype() == options_.dtype, DTypeError, "{}: input is {}, the parameters {}", type_name(), x.dtype(),
           options_.dtype);
}

Tensor RecurrentLayers::initial_state(const Tensor& s, std::int64_t layer, std::int64_t batch, const Tensor& x) const {
  if (!s.defined()) return zeros({batch, hidden_size_}, {.dtype = x.dtype()});
  TG_CHECK(s.shape() == (Shape{options_.num_layers, batch, hidden_size_}), ShapeError,
           "{}: an initial state has shape {}, expected [num_layers, B, H] = [{}, {}, {}] for input {}", type_name(),
           s.shape(), options_.num_layers, batch, hidden_size_, x.shape());
  TG_CHECK(s.dtype() == x.dtype(), DTypeError, "{}: an initial state is {}, the input {}", type_name(), s.dtype(),
           x.dtype());
  return select(s, 0, layer);
}

std::vector<Tensor> RecurrentLayers::steps_of(const Sequence& seq) {
  if (!seq.steps.empty() || !seq.whole.defined()) return seq.steps;
  std::vector<Tensor> steps;
  for (std::int64_t t = 0; t < seq.whole.size(0); ++t) steps.push_back(select(seq.whole, 0, t));
  return steps;
}

Tensor RecurrentLayers::whole_of(const Sequence& seq) { return seq.whole.defined() ? seq.whole : stack(seq.steps, 0); }

RecurrentLayers::RunResult RecurrentLayers::run(const Tensor& x, const std::vector<Tensor>& initial,
                                                const LayerFn& layer) {
  check_input(x);
  const std::int64_t time_dim = options_.batch_first ? 1 : 0;
  const std::int64_t length = x.size(time_dim), batch = x.size(1 - time_dim);
  Sequence seq{{}, time_dim == 0 ? x : transpose(x, 0, 1)};  // the current layer's input, then its output
  for (std::int64_t t = 0; t < length; ++t) seq.steps.push_back(select(x, time_dim, t));
  std::vector<std::vector<Tensor>> finals(initial.size());
  for (std::int64_t l = 0; l < options_.num_layers; ++l) {
    std::vector<Tensor> state;
    for (const Tensor& s : initial) state.push_back(initial_state(s, l, batch, x));
    seq = layer(layers_[static_cast<std::size_t>(l)], seq, state);
    for (std::size_t k = 0; k < state.size(); ++k) finals[k].push_back(state[k]);
    if (options_.dropout > 0.0 && l + 1 < options_.num_layers) {
      const auto drop = [&](const Tensor& h) {
        return functional::dropout(h, options_.dropout, is_training(), dropout_gen_);
      };
      if (seq.whole.defined()) {
        seq = {{}, drop(seq.whole)};
      } else {
        for (Tensor& h : seq.steps) h = drop(h);
      }
    }
  }
  RunResult result;
  if (length == 0) {
    result.output = zeros(options_.batch_first ? Shape{batch, 0, hidden_size_} : Shape{0, batch, hidden_size_},
                          {.dtype = x.dtype()});
  } else if (seq.whole.defined()) {
    result.output = contiguous(time_dim == 0 ? seq.whole : transpose(seq.whole, 0, 1));
  } else {
    result.output = stack(seq.steps, time_dim);
  }
  for (const std::vector<Tensor>& f : finals) result.final_state.push_back(stack(f, 0));
  return result;
}

std::string RecurrentLayers::describe() const {
  return fmt::format("{}(input_size={}, hidden_size={}, num_layers={}, bias={}, batch_first={}, dropout={})",
                     type_name(), input_size_, hidden_size_, options_.num_layers, options_.bias, options_.batch_first,
                     options_.dropout);
}

LSTM::LSTM(std::int64_t input_size, std::int64_t hidden_size, RNNOptions options)
    : RecurrentLayers("LSTM", 4, input_size, hidden_size, options) {}

// A layer: the input gates of all steps as one product (its gradient is one product too), then
// the fused sequence op, whose output holds [h_t, c_t] per step.
LSTMOutput LSTM::forward(const Tensor& x, const LSTMState& state) {
  const std::int64_t h = hidden_size();
  const auto layer = [h](const LayerWeights& w, const Sequence& input, std::vector<Tensor>& s) {
    const Tensor seq = whole_of(input);  // [L, B, I]
    const std::int64_t length = seq.size(0), batch = seq.size(1);
    Tensor gates = matmul(reshape(seq, {length * batch, seq.size(2)}), transpose(w.w_ih, 0, 1));
    if (w.b_ih.defined()) gates = gates + (w.b_ih + w.b_hh);
    const Tensor out = lstm_sequence(reshape(gates, {length, batch, 4 * h}), s[0], s[1], w.w_hh);
    if (length > 0) {
      const Tensor last = select(out, 0, length - 1);
      s[0] = slice(last, 1, 0, h);
      s[1] = slice(last, 1, h, 2 * h);
    }
    return Sequence{{}, slice(out, 2, 0, h)};
  };
  const RunResult r = run(x, {state.h, state.c}, layer);
  return {r.output, {r.final_state[0], r.final_state[1]}};
}

Tensor LSTM::forward(const Tensor& x) { return forward(x, LSTMState{}).output; }

GRU::GRU(std::int64_t input_size, std::int64_t hidden_size, RNNOptions options)
    : RecurrentLayers("GRU", 3, input_size, hidden_size, options) {}

GRUOutput GRU::forward(const Tensor& x, const Tensor& h) {
  const std::int64_t time_dim = options().batch_first ? 1 : 0;
  const auto layer = [time_dim](const LayerWeights& w, const Sequence& input, std::vector<Tensor>& s) {
    Sequence out{steps_of(input), {}};
    const std::vector<Tensor> gates_x = input_gates(out.steps, w.w_ih, w.b_ih, time_dim);
    const Tensor w_hh_t = transpose(w.w_hh, 0, 1);  // once per layer: its gradient is summed before transposing
    for (std::size_t t = 0; t < out.steps.size(); ++t) {
      Tensor gates_h = matmul(s[0], w_hh_t);
      if (w.b_hh.defined()) gates_h = gates_h + w.b_hh;
      s[0] = gru_cell_pointwise(gates_x[t], gates_h, s[0]);
      out.steps[t] = s[0];
    }
    return out;
  };
  RunResult r = run(x, {h}, layer);
  return {r.output, r.final_state[0]};
}

Tensor GRU::forward(const Tensor& x) { return forward(x, Tensor()).output; }

}  // namespace tg::nn
