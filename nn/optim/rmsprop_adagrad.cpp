#include "nn/optim/rmsprop_adagrad.hpp"

#include <cmath>

namespace tg::nn {

RMSprop::RMSprop(std::vector<Tensor> parameters, RMSpropOptions options)
    : RMSprop(std::vector<ParamGroup>{{.params = std::move(parameters)}}, options) {}

RMSprop::RMSprop(std::vector<ParamGroup> groups, RMSpropOptions options)
    : Optimizer("RMSprop", std::move(groups), options.lr, options.weight_decay), options_(options) {
  TG_CHECK(options.alpha >= 0.0 && options.eps >= 0.0 && options.weight_decay >= 0.0 && options.momentum >= 0.0,
           ValueError, "RMSprop: alpha, eps, weight_decay and momentum must be >= 0, got {}, {}, {} and {}",
           options.alpha, options.eps, options.weight_decay, options.momentum);
}

void RMSprop::update(std::size_t index, const Tensor& p, const Tensor& g, const Group& group) {
  const double lr = group.lr, wd = group.weight_decay, alpha = options_.alpha, eps = options_.eps;
  const double mu = options_.momentum;
  next_step(index);  // not used by the update; kept for PyTorch-compatible checkpoints
  const Tensor v = state(index, "square_avg", p);
  const Tensor a = options_.centered ? state(index, "grad_avg", p) : Tensor();
  const Tensor b = mu > 0.0 ? state(index, "momentum_buffer", p) : Tensor();
  visit_floating(p.dtype(), "RMSprop", [&](auto tag) {
    using T = decltype(tag);
    T* pp = p.data<T>();
    const T* pg = g.data<T>();
    T* pv = v.data<T>();
    T* pa = a.defined() ? a.data<T>() : nullptr;
    T* pb = b.defined() ? b.data<T>() : nullptr;
    const std::int64_t n = p.numel();  // hoisted: the stores below may alias anything
    for (std::int64_t j = 0; j < n; ++j) {
      const T d = wd != 0.0 ? pg[j] + static_cast<T>(wd) * pp[j] : pg[j];
      pv[j] = pv[j] * static_cast<T>(alpha) + static_cast<T>(1.0 - alpha) * d * d;
      T denom;
      if (pa != nullptr) {
        pa[j] += static_cast<T>(1.0 - alpha) * (d - pa[j]);  // PyTorch's lerp(grad_avg, g, 1 - alpha)
        denom = std::sqrt(pv[j] - pa[j] * pa[j]) + static_cast<T>(eps);
      } else {
        denom = std::sqrt(pv[j]) + static_cast<T>(eps);
      }
      if (pb != nullptr) {
        pb[j] = pb[j] * static_cast<T>(mu) + d / denom;
        pp[j] -= static_cast<T>(lr) * pb[j];
      } else {
        pp[j] -= static_cast<T>(lr) * d / denom;
      }
    }
  });
}

Adagrad::Adagrad(std::vector<Tensor> parameters, AdagradOptions options)
    : Adagrad(std::vector<ParamGroup>{{.params = std::move(parameters)}}, options) {}

Adagrad::Adagrad(std::vector<ParamGroup> groups, AdagradOptions options)
    : Optimizer("Adagrad", std::move(groups), options.lr, options.weight_decay), options_(options) {
  TG_CHECK(options.lr_decay >= 0.0 && options.eps >= 0.0 && options.weight_decay >= 0.0 &&
               options.initial_accumulator_value >= 0.0,
           ValueError,
           "Adagrad: lr_decay, eps, weight_decay and initial_accumulator_value must be >= 0, got {}, {}, {} "
           "and {}",
           options.lr_decay, options.eps, options.weight_decay, options.initial_accumulator_value);
}

void Adagrad::update(std::size_t index, const Tensor& p, const Tensor& g, const Group& group) {
  const double wd = group.weight_decay, eps = options_.eps;
  const bool fresh = !has_state(index, "sum");
  Tensor& sum = state(index, "sum", p);
  if (fresh) sum.fill_(options_.initial_accumulator_value);
  const std::int64_t t = next_step(index);
  const double clr = group.lr / (1.0 + static_cast<double>(t - 1) * options_.lr_decay);
  visit_floating(p.dtype(), "Adagrad", [&](auto tag) {
    using T = decltype(tag);
    T* pp = p.data<T>();
    const T* pg = g.data<T>();
    T* ps = sum.data<T>();
    const std::int64_t n = p.numel();  // hoisted: the stores below may alias anything
    for (std::int64_t j = 0; j < n; ++j) {
      const T d = wd != 0.0 ? pg[j] + static_cast<T>(wd) * pp[j] : pg[j];
      ps[j] += d * d;
      pp[j] -= static_cast<T>(clr) * d / (std::sqrt(ps[j]) + static_cast<T>(eps));
    }
  });
}

}  // namespace tg::nn
