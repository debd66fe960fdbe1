// Recurrent layers: LSTM and GRU over a sequence, stacked num_layers deep, as PyTorch's
// torch.nn.LSTM / torch.nn.GRU (same parameter names, shapes, gate order and
// initialisation U(-1/sqrt(H), 1/sqrt(H)) from the default generator). An LSTM layer is one
// product for the input gates of all steps and the fused sequence op; a GRU step runs one
// matrix product per weight and the fused cell op (ops/recurrent.hpp); see docs/recurrent.md.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nn/modules/module.hpp"
#include "tensor/random.hpp"

namespace tg::nn {

struct RNNOptions {
  std::int64_t num_layers = 1;
  bool bias = true;
  bool batch_first = false;  // input and output [B, L, features] instead of [L, B, features]
  double dropout = 0.0;      // on the outputs of every layer but the last, in training only
  DType dtype = DType::Float32;
};

struct LSTMState {
  Tensor h, c;  // each [num_layers, B, H]; undefined = zeros
};

struct LSTMOutput {
  Tensor output;  // the last layer's h at every step: [L, B, H] ([B, L, H] batch_first)
  LSTMState state;
};

struct GRUOutput {
  Tensor output;  // as LSTMOutput::output
  Tensor h;       // [num_layers, B, H]
};

// What LSTM and GRU share: the parameters, the sequence layout, the loop over layers and
// steps, and the dropout between layers.
class RecurrentLayers : public Module {
 public:
  std::string describe() const override;
  std::int64_t input_size() const { return input_size_; }
  std::int64_t hidden_size() const { return hidden_size_; }
  const RNNOptions& options() const { return options_; }

 protected:
  struct LayerWeights {
    Tensor w_ih, w_hh, b_ih, b_hh;  // biases undefined without bias
  };
  // A layer's input or output sequence: its steps ([B, features] each, in time order), or the
  // whole time-major [L, B, features] tensor, or both; a layer reads the form it works on
  // (steps_of / whole_of build the other), so no form is converted where nobody reads it.
  struct Sequence {
    std::vector<Tensor> steps;  // empty when only `whole` is set
    Tensor whole;               // undefined when only `steps` are set
  };
  static std::vector<Tensor> steps_of(const Sequence& seq);
  static Tensor whole_of(const Sequence& seq);
  // Runs one layer over its input sequence and returns the output sequence (the h of every
  // step); `state` ({h} or {h, c}, h first) holds the initial state and receives the final one.
  using LayerFn = std::function<Sequence(const LayerWeights& w, const Sequence& input, std::vector<Tensor>& state)>;
  struct RunResult {
    Tensor output;
    std::vector<Tensor> final_state;  // one [num_layers, B, H] per state tensor
  };

  RecurrentLayers(std::string type_name, std::int64_t gates, std::int64_t input_size, std::int64_t hidden_size,
                  RNNOptions options);
  // Runs every layer over the sequence x. `initial` holds one [num_layers, B, H] tensor (or
  // undefined: zeros) per state tensor.
  RunResult run(const Tensor& x, const std::vector<Tensor>& initial, const LayerFn& layer);

 private:
  void check_input(const Tensor& x) const;
  Tensor initial_state(const Tensor& s, std::int64_t layer, std::int64_t batch, const Tensor& x) const;

  std::int64_t input_size_, hidden_size_;
  RNNOptions options_;
  std::vector<LayerWeights> layers_;
  Generator dropout_gen_;
};

class LSTM : public RecurrentLayers {
 public:
  LSTM(std::int64_t input_size, std::int64_t hidden_size, RNNOptions options = {});
  Tensor forward(const Tensor& x) override;  // the output, from zero states
  LSTMOutput forward(const Tensor& x, const LSTMState& state);
};

class GRU : public RecurrentLayers {
 public:
  GRU(std::int64_t input_size, std::int64_t hidden_size, RNNOptions options = {});
  Tensor forward(const Tensor& x) override;  // the output, from a zero state
  GRUOutput forward(const Tensor& x, const Tensor& h);
};

}  // namespace tg::nn
