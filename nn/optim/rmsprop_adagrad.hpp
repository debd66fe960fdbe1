// RMSprop and Adagrad, in PyTorch's exact formulas and with PyTorch's checkpoint state names.
#pragma once

#include "nn/optim/optimizer.hpp"

namespace tg::nn {

struct RMSpropOptions {
  double lr = 0.01;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
};

// g = grad + wd p; v = alpha v + (1 - alpha) g^2 (square_avg);
// centered: a = a + (1 - alpha) (g - a) (grad_avg), denom = sqrt(v - a^2) + eps; else sqrt(v) + eps;
// momentum > 0: b = momentum b + g / denom (momentum_buffer), p -= lr b; else p -= lr g / denom.
class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<Tensor> parameters, RMSpropOptions options = {});
  RMSprop(std::vector<ParamGroup> groups, RMSpropOptions options = {});

 protected:
  void update(std::size_t index, const Tensor& param, const Tensor& grad, const Group& group) override;
  std::vector<std::string> state_keys() const override { return {"step", "square_avg", "momentum_buffer", "grad_avg"}; }

 private:
  RMSpropOptions options_;
};

struct AdagradOptions {
  double lr = 0.01;
  double lr_decay = 0.0;
  double weight_decay = 0.0;
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;
};

// At step t (from 1): g = grad + wd p; clr = lr / (1 + (t - 1) lr_decay);
// s = s + g^2 (sum, starting at initial_accumulator_value); p -= clr g / (sqrt(s) + eps).
class Adagrad : public Optimizer {
 public:
  Adagrad(std::vector<Tensor> parameters, AdagradOptions options = {});
  Adagrad(std::vector<ParamGroup> groups, AdagradOptions options = {});

 protected:
  void update(std::size_t index, const Tensor& param, const Tensor& grad, const Group& group) override;
  std::vector<std::string> state_keys() const override { return {"step", "sum"}; }

 private:
  AdagradOptions options_;
};

}  // namespace tg::nn
