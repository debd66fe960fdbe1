#include "nn/optim/optimizer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tg::nn {

namespace {

// The gradient read by an update: contiguous and in the parameter's dtype, copied only when
// it is neither. (The update never writes to it.)
Tensor contiguous_gradient(const Tensor& p, const Tensor& grad) {
  return grad.dtype() == p.dtype() ? raw::contiguous(grad) : raw::contiguous(grad).clone_as(p.dtype());
}

// The updates write through raw pointers; bumping the versions makes a backward that still
// holds the old values (a graph recorded before the step) throw instead of using the new.
void mark_written(std::initializer_list<Tensor> written) {
  for (const Tensor& t : written) {
    if (t.defined()) t.bump_version();
  }
}

}  // namespace

Optimizer::Optimizer(std::string name, std::vector<Tensor> parameters, double lr)
    : name_(std::move(name)), params_(std::move(parameters)), lr_(0.0), state_(params_.size()) {
  set_lr(lr);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    TG_CHECK(p.defined() && p.is_floating_point() && p.is_contiguous(), ValueError,
             "{}: parameter {} must be a defined, contiguous floating-point tensor", name_, i);
    TG_CHECK(p.is_leaf(), ValueError, "{}: parameter {} is not a leaf tensor", name_, i);
  }
}

void Optimizer::set_lr(double lr) {
  TG_CHECK(lr >= 0.0, ValueError, "{}: learning rate must be >= 0, got {}", name_, lr);
  lr_ = lr;
}

void Optimizer::zero_grad() {
  for (const auto& p : params_) p.zero_grad();
}

Tensor& Optimizer::state(std::size_t i, const std::string& key, const Tensor& like) {
  auto& slot = state_[i][key];
  if (!slot.defined()) slot = zeros(like.shape(), {.dtype = like.dtype()});
  return slot;
}

std::vector<NamedTensor> Optimizer::state_dict() const {
  std::vector<NamedTensor> out;
  out.emplace_back("lr", scalar_tensor(lr_, {.dtype = DType::Float64}));
  for (std::size_t i = 0; i < state_.size(); ++i)
    for (const auto& [key, t] : state_[i]) out.emplace_back(fmt::format("state.{}.{}", i, key), t);
  return out;
}

void Optimizer::load_state_dict(const std::vector<NamedTensor>& state) {
  std::vector<std::string> problems;
  const auto keys = state_keys();
  double lr = lr_;
  std::vector<std::map<std::string, Tensor>> next(params_.size());
  for (const auto& [name, t] : state) {
    if (name == "lr") {
      if (t.numel() == 1 && t.dtype() == DType::Float64)
        lr = t.item();
      else
        problems.push_back("'lr' must be one float64 value");
      continue;
    }
    std::size_t index = 0;
    char key[64] = {};
    int consumed = 0;
    if (std::sscanf(name.c_str(), "state.%zu.%63s%n", &index, key, &consumed) != 2 ||
        static_cast<std::size_t>(consumed) != name.size()) {
      problems.push_back(fmt::format("unexpected entry '{}'", name));
      continue;
    }
    if (index >= params_.size()) {
      problems.push_back(
          fmt::format("'{}': parameter index {} out of range ({} parameters)", name, index, params_.size()));
      continue;
    }
    const std::string k = key;
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      problems.push_back(fmt::format("'{}': unknown state '{}' for {}", name, k, name_));
      continue;
    }
    const Tensor& p = params_[index];
    const bool is_step = k == "step";
    const Shape want_shape = is_step ? Shape{} : p.shape();
    const DType want_dtype = is_step ? DType::Int64 : p.dtype();
    if (t.shape() != want_shape || t.dtype() != want_dtype) {
      problems.push_back(
          fmt::format("'{}': expected {} {}, got {} {}", name, want_dtype, want_shape, t.dtype(), t.shape()));
      continue;
    }
    next[index][k] = raw::contiguous(t).clone_as(t.dtype());
  }
  TG_CHECK(problems.empty(), ValueError, "{}: cannot load optimizer state:\n  {}", name_, fmt::join(problems, "\n  "));
  lr_ = lr;
  state_ = std::move(next);
}

// ---- SGD ----

SGD::SGD(std::vector<Tensor> parameters, SGDOptions options)
    : Optimizer("SGD", std::move(parameters), options.lr), options_(options) {
  TG_CHECK(options.momentum >= 0.0 && options.weight_decay >= 0.0, ValueError,
           "SGD: momentum and weight_decay must be >= 0, got {} and {}", options.momentum, options.weight_decay);
  TG_CHECK(!options.nesterov || (options.momentum > 0.0 && options.dampening == 0.0), ValueError,
           "SGD: Nesterov momentum needs momentum > 0 and dampening 0");
}

void SGD::step() {
  const double lr = this->lr(), mu = options_.momentum, wd = options_.weight_decay, damp = options_.dampening;
  for (std::size_t i = 0; i < parameters().size(); ++i) {
    const Tensor& p = parameters()[i];
    const Tensor grad = p.grad();
    if (!grad.defined()) continue;
    const Tensor g = contiguous_gradient(p, grad);
    const bool first = mu != 0.0 && !has_state(i, "momentum_buffer");
    Tensor buf = mu != 0.0 ? state(i, "momentum_buffer", p) : Tensor();
    visit_floating(p.dtype(), "SGD", [&](auto tag) {
      using T = decltype(tag);
      T* pp = p.data<T>();
      const T* pg = g.data<T>();
      T* pb = buf.defined() ? buf.data<T>() : nullptr;
      const std::int64_t n = p.numel();  // hoisted: the stores below may alias anything
      for (std::int64_t j = 0; j < n; ++j) {
        T d = pg[j] + static_cast<T>(wd) * pp[j];
        if (pb != nullptr) {
          pb[j] = first ? d : static_cast<T>(mu) * pb[j] + static_cast<T>(1.0 - damp) * d;
          d = options_.nesterov ? d + static_cast<T>(mu) * pb[j] : pb[j];
        }
        pp[j] -= static_cast<T>(lr) * d;
      }
    });
    mark_written({p, buf});
  }
}

// ---- Adam / AdamW ----

Adam::Adam(std::vector<Tensor> parameters, AdamOptions options) : Adam("Adam", std::move(parameters), options, false) {}

Adam::Adam(std::string name, std::vector<Tensor> parameters, AdamOptions options, bool decoupled)
    : Optimizer(std::move(name), std::move(parameters), options.lr), options_(options), decoupled_(decoupled) {
  TG_CHECK(options.beta1 >= 0.0 && options.beta1 < 1.0 && options.beta2 >= 0.0 && options.beta2 < 1.0, ValueError,
           "{}: betas must be in [0, 1), got ({}, {})", this->name(), options.beta1, options.beta2);
  TG_CHECK(options.eps >= 0.0 && options.weight_decay >= 0.0, ValueError,
           "{}: eps and weight_decay must be >= 0, got {} and {}", this->name(), options.eps, options.weight_decay);
}

AdamW::AdamW(std::vector<Tensor> parameters, AdamOptions options)
    : Adam("AdamW", std::move(parameters), options, true) {}

void Adam::step() {
  const double lr = this->lr(), b1 = options_.beta1, b2 = options_.beta2, eps = options_.eps;
  const double wd = options_.weight_decay;
  const Tensor step_like = zeros({}, {.dtype = DType::Int64});
  for (std::size_t i = 0; i < parameters().size(); ++i) {
    const Tensor& p = parameters()[i];
    const Tensor grad = p.grad();
    if (!grad.defined()) continue;
    const Tensor g = contiguous_gradient(p, grad);
    Tensor& step_t = state(i, "step", step_like);
    const std::int64_t t = ++*step_t.data<std::int64_t>();
    const Tensor m = state(i, "exp_avg", p);
    const Tensor v = state(i, "exp_avg_sq", p);
    const double bc1 = 1.0 - std::pow(b1, static_cast<double>(t));
    const double bc2_sqrt = std::sqrt(1.0 - std::pow(b2, static_cast<double>(t)));
    visit_floating(p.dtype(), name(), [&](auto tag) {
      using T = decltype(tag);
      T* pp = p.data<T>();
      const T* pg = g.data<T>();
      T* pm = m.data<T>();
      T* pv = v.data<T>();
      const T step_size = static_cast<T>(lr / bc1);
      const std::int64_t n = p.numel();  // hoisted: the stores below may alias anything
      for (std::int64_t j = 0; j < n; ++j) {
        T d = pg[j];
        if (decoupled_)
          pp[j] *= static_cast<T>(1.0 - lr * wd);
        else
          d += static_cast<T>(wd) * pp[j];
        pm[j] = static_cast<T>(b1) * pm[j] + static_cast<T>(1.0 - b1) * d;
        pv[j] = static_cast<T>(b2) * pv[j] + static_cast<T>(1.0 - b2) * d * d;
        pp[j] -= step_size * pm[j] / (std::sqrt(pv[j]) / static_cast<T>(bc2_sqrt) + static_cast<T>(eps));
      }
    });
    mark_written({p, m, v, step_t});
  }
}

// ---- gradient clipping ----

double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm) {
  TG_CHECK(max_norm >= 0.0, ValueError, "clip_grad_norm: max_norm must be >= 0, got {}", max_norm);
  double total = 0.0;
  for (const auto& p : parameters) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    for (double x : g.to_vector()) total += x * x;
  }
  const double norm = std::sqrt(total);
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0) {
    for (const auto& p : parameters) {
      const Tensor g = p.grad();
      if (!g.defined()) continue;
      const Tensor c = raw::contiguous(g);
      visit_floating(c.dtype(), "clip_grad_norm", [&](auto tag) {
        using T = decltype(tag);
        T* pg = c.data<T>();
        for (std::int64_t j = 0; j < c.numel(); ++j) pg[j] *= static_cast<T>(coef);
      });
      mark_written({c});
      if (!c.is_same(g)) p.set_grad(c);
    }
  }
  return norm;
}

}  // namespace tg::nn
