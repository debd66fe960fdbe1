#include "nn/modules/init.hpp"

#include <cmath>

#include "autograd/grad_mode.hpp"
#include "tensor/error.hpp"

namespace tg::nn::init {

double calculate_gain(Nonlinearity nonlinearity, double param) {
  switch (nonlinearity) {
    case Nonlinearity::Linear:
    case Nonlinearity::Sigmoid:
      return 1.0;
    case Nonlinearity::Tanh:
      return 5.0 / 3.0;
    case Nonlinearity::Relu:
      return std::sqrt(2.0);
    case Nonlinearity::LeakyRelu:
      return std::sqrt(2.0 / (1.0 + param * param));
  }
  return 1.0;
}

std::pair<std::int64_t, std::int64_t> fan_in_and_fan_out(const Tensor& w) {
  TG_CHECK(w.dim() >= 2, ShapeError, "init: fan in and fan out need a tensor with >= 2 dims, got shape {}", w.shape());
  std::int64_t receptive = 1;
  for (std::int64_t d = 2; d < w.dim(); ++d) receptive *= w.size(d);
  return {w.size(1) * receptive, w.size(0) * receptive};
}

// Draws into a fresh tensor of the same shape and copies it into t's storage, in place:
// every handle to the parameter sees the values, and its version counts the write.
static void fill_from(Tensor t, const Tensor& values) {
  TG_CHECK(t.is_floating_point(), DTypeError, "init: tensor must be floating point, got {}", t.dtype());
  NoGradGuard no_grad;
  t.copy_(values);
}

void uniform_(const Tensor& t, double low, double high, Generator& gen) {
  fill_from(t, tg::uniform(t.shape(), low, high, gen, {.dtype = t.dtype()}));
}

void normal_(const Tensor& t, double mean, double std, Generator& gen) {
  Tensor z = randn(t.shape(), gen, {.dtype = DType::Float64});
  double* p = z.data<double>();
  for (std::int64_t i = 0; i < z.numel(); ++i) p[i] = mean + std * p[i];
  fill_from(t, z);
}

void constant_(const Tensor& t, double value) { fill_from(t, full(t.shape(), value, {.dtype = t.dtype()})); }
void zeros_(const Tensor& t) { constant_(t, 0.0); }
void ones_(const Tensor& t) { constant_(t, 1.0); }

static double kaiming_std(const Tensor& w, const KaimingOptions& o) {
  auto [fan_in, fan_out] = fan_in_and_fan_out(w);
  const std::int64_t fan = o.mode == FanMode::FanIn ? fan_in : fan_out;
  TG_CHECK(fan > 0, ShapeError, "init: zero fan for shape {}", w.shape());
  return calculate_gain(o.nonlinearity, o.a) / std::sqrt(static_cast<double>(fan));
}

void kaiming_uniform_(const Tensor& w, KaimingOptions options, Generator& gen) {
  const double bound = std::sqrt(3.0) * kaiming_std(w, options);
  uniform_(w, -bound, bound, gen);
}

void kaiming_normal_(const Tensor& w, KaimingOptions options, Generator& gen) {
  normal_(w, 0.0, kaiming_std(w, options), gen);
}

static double xavier_std(const Tensor& w, double gain) {
  auto [fan_in, fan_out] = fan_in_and_fan_out(w);
  TG_CHECK(fan_in + fan_out > 0, ShapeError, "init: zero fan for shape {}", w.shape());
  return gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
}

void xavier_uniform_(const Tensor& w, double gain, Generator& gen) {
  const double bound = std::sqrt(3.0) * xavier_std(w, gain);
  uniform_(w, -bound, bound, gen);
}

void xavier_normal_(const Tensor& w, double gain, Generator& gen) { normal_(w, 0.0, xavier_std(w, gain), gen); }

}  // namespace tg::nn::init
