#include "nn/optim/rmsprop_adagrad.hpp"

#include <cmath>
#include <type_traits>

namespace tg::nn {

namespace {

// The update loops, one range of a parameter's elements each (Optimizer::for_element_ranges).
struct RmspropStep {
  double lr, wd, alpha, eps, mu;
};

// The centered form keeps avg, momentum keeps buf (else they are null). Both choices are
// template arguments: with three branches in it, the loop stayed scalar.
template <class T, bool kCentered, bool kMomentum>
void rmsprop_update_range(T* p, const T* g, T* square_avg, T* avg, T* buf, std::int64_t n, RmspropStep s) {
  const T lr = static_cast<T>(s.lr), wd = static_cast<T>(s.wd), alpha = static_cast<T>(s.alpha),
          keep = static_cast<T>(1.0 - s.alpha), eps = static_cast<T>(s.eps), mu = static_cast<T>(s.mu);
  const bool decay = s.wd != 0.0;
  for (std::int64_t j = 0; j < n; ++j) {
    const T d = decay ? g[j] + wd * p[j] : g[j];
    square_avg[j] = square_avg[j] * alpha + keep * d * d;
    T denom;
    if constexpr (kCentered) {
      avg[j] += keep * (d - avg[j]);  // PyTorch's lerp(grad_avg, g, 1 - alpha)
      denom = std::sqrt(square_avg[j] - avg[j] * avg[j]) + eps;
    } else {
      denom = std::sqrt(square_avg[j]) + eps;
    }
    if constexpr (kMomentum) {
      buf[j] = buf[j] * mu + d / denom;
      p[j] -= lr * buf[j];
    } else {
      p[j] -= lr * d / denom;
    }
  }
}

struct AdagradStep {
  double lr, wd, eps;  // lr: this step's, after the decay
};

template <class T>
void adagrad_update_range(T* p, const T* g, T* sum, std::int64_t n, AdagradStep s) {
  const T lr = static_cast<T>(s.lr), wd = static_cast<T>(s.wd), eps = static_cast<T>(s.eps);
  const bool decay = s.wd != 0.0;
  for (std::int64_t j = 0; j < n; ++j) {
    const T d = decay ? g[j] + wd * p[j] : g[j];
    sum[j] += d * d;
    p[j] -= lr * d / (std::sqrt(sum[j]) + eps);
  }
}

}  // namespace

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
  const RmspropStep step{.lr = lr, .wd = wd, .alpha = alpha, .eps = eps, .mu = mu};
  visit_floating(p.dtype(), "RMSprop", [&](auto tag) {
    using T = decltype(tag);
    T* const pp = p.data<T>();
    const T* const pg = g.data<T>();
    T* const pv = v.data<T>();
    T* const pa = a.defined() ? a.data<T>() : nullptr;
    T* const pb = b.defined() ? b.data<T>() : nullptr;
    const auto run = [&](auto centered, auto momentum) {
      for_element_ranges(p.numel(), [&](std::int64_t begin, std::int64_t end) {
        rmsprop_update_range<T, decltype(centered)::value, decltype(momentum)::value>(
            pp + begin, pg + begin, pv + begin, centered ? pa + begin : nullptr, momentum ? pb + begin : nullptr,
            end - begin, step);
      });
    };
    if (pa != nullptr && pb != nullptr) run(std::true_type{}, std::true_type{});
    if (pa != nullptr && pb == nullptr) run(std::true_type{}, std::false_type{});
    if (pa == nullptr && pb != nullptr) run(std::false_type{}, std::true_type{});
    if (pa == nullptr && pb == nullptr) run(std::false_type{}, std::false_type{});
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
  const AdagradStep step{.lr = clr, .wd = wd, .eps = eps};
  visit_floating(p.dtype(), "Adagrad", [&](auto tag) {
    using T = decltype(tag);
    T* const pp = p.data<T>();
    const T* const pg = g.data<T>();
    T* const ps = sum.data<T>();
    for_element_ranges(p.numel(), [&](std::int64_t begin, std::int64_t end) {
      adagrad_update_range(pp + begin, pg + begin, ps + begin, end - begin, step);
    });
  });
}

}  // namespace tg::nn
