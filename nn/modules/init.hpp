// Weight initialisation, in place on a tensor's storage (never recorded by autograd).
// The formulas follow PyTorch's torch.nn.init; every function takes the generator to
// draw from (default: tg::default_generator(), seeded by tg::manual_seed).
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include "tensor/random.hpp"
#include "tensor/tensor.hpp"

namespace tg::nn::init {

enum class FanMode { FanIn, FanOut };
enum class Nonlinearity { Linear, Sigmoid, Tanh, Relu, LeakyRelu };

// Recommended gain of a nonlinearity (LeakyRelu uses `param` as the negative slope).
double calculate_gain(Nonlinearity nonlinearity, double param = 0.01);
// {fan_in, fan_out} of a weight with >= 2 dims: dim 1 and dim 0 times the receptive field.
std::pair<std::int64_t, std::int64_t> fan_in_and_fan_out(const Tensor& w);

struct KaimingOptions {
  double a = 0.0;  // negative slope for LeakyRelu
  FanMode mode = FanMode::FanIn;
  Nonlinearity nonlinearity = Nonlinearity::LeakyRelu;
};

void uniform_(const Tensor& t, double low, double high, Generator& gen = default_generator());
void normal_(const Tensor& t, double mean, double std, Generator& gen = default_generator());
void constant_(const Tensor& t, double value);
void zeros_(const Tensor& t);
void ones_(const Tensor& t);
void kaiming_uniform_(const Tensor& w, KaimingOptions options = {}, Generator& gen = default_generator());
void kaiming_normal_(const Tensor& w, KaimingOptions options = {}, Generator& gen = default_generator());
void xavier_uniform_(const Tensor& w, double gain = 1.0, Generator& gen = default_generator());
void xavier_normal_(const Tensor& w, double gain = 1.0, Generator& gen = default_generator());

}  // namespace tg::nn::init
