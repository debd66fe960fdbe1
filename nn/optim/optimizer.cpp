#include "nn/optim/optimizer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tensor/parallel.hpp"

namespace tg::nn {

namespace {

// The gradient read by an update: contiguous and in the parameter's dtype, copied only when
// it is neither. (The update never writes to it.)
Tensor contiguous_gradient(const Tensor& p, const Tensor& grad) {
  return grad.dtype() == p.dtype() ? raw::contiguous(grad) : raw::contiguous(grad).clone_as(p.dtype());
}

// The updates write through raw pointers; bumping the versions makes a backward that still
// holds the old values (a graph recorded before the step) throw instead of using the new.
void mark_written(const Tensor& t) {
  if (t.defined()) t.bump_version();
}

std::vector<ParamGroup> one_group(std::vector<Tensor> parameters) {
  return {ParamGroup{.params = std::move(parameters)}};
}

// SGD's loop with momentum had stayed scalar before it took its settings by value
// (Optimizer::for_element_ranges): 1.5x slower.
struct SgdStep {
  double lr, wd, mu, keep;  // keep = 1 - dampening
  bool first, nesterov;     // first: the momentum buffer is seeded with the step
};

// p -= lr d, d = g + wd p, through the momentum buffer when there is one (buf != nullptr).
template <class T>
void sgd_update_range(T* p, const T* g, T* buf, std::int64_t n, SgdStep s) {
  const T lr = static_cast<T>(s.lr), wd = static_cast<T>(s.wd), mu = static_cast<T>(s.mu),
          keep = static_cast<T>(s.keep);
  for (std::int64_t j = 0; j < n; ++j) {
    T d = g[j] + wd * p[j];
    if (buf != nullptr) {
      buf[j] = s.first ? d : mu * buf[j] + keep * d;
      d = s.nesterov ? d + mu * buf[j] : buf[j];
    }
    p[j] -= lr * d;
  }
}

struct AdamStep {
  double lr, wd, b1, b2, eps, bc1, bc2_sqrt;  // bc: the bias corrections 1 - beta^t
  bool decoupled;                             // AdamW: the decay scales p instead of joining g
};

template <class T>
void adam_update_range(T* p, const T* g, T* m, T* v, std::int64_t n, AdamStep s) {
  const T step_size = static_cast<T>(s.lr / s.bc1), bc2_sqrt = static_cast<T>(s.bc2_sqrt), eps = static_cast<T>(s.eps);
  const T b1 = static_cast<T>(s.b1), b2 = static_cast<T>(s.b2), keep1 = static_cast<T>(1.0 - s.b1),
          keep2 = static_cast<T>(1.0 - s.b2), wd = static_cast<T>(s.wd), shrink = static_cast<T>(1.0 - s.lr * s.wd);
  for (std::int64_t j = 0; j < n; ++j) {
    T d = g[j];
    if (s.decoupled)
      p[j] *= shrink;
    else
      d += wd * p[j];
    m[j] = b1 * m[j] + keep1 * d;
    v[j] = b2 * v[j] + keep2 * d * d;
    p[j] -= step_size * m[j] / (std::sqrt(v[j]) / bc2_sqrt + eps);
  }
}

void check_lr(const std::string& optimizer, double lr) {
  TG_CHECK(lr >= 0.0, ValueError, "{}: learning rate must be >= 0, got {}", optimizer, lr);
}

}  // namespace

std::vector<ParamGroup> param_groups_no_decay_on_biases_and_norms(const Module& module, double weight_decay) {
  ParamGroup decayed{.weight_decay = weight_decay}, not_decayed{.weight_decay = 0.0};
  for (const Tensor& p : module.parameters()) (p.dim() <= 1 ? not_decayed : decayed).params.push_back(p);
  std::vector<ParamGroup> groups;
  for (ParamGroup* g : {&decayed, &not_decayed})
    if (!g->params.empty()) groups.push_back(std::move(*g));
  return groups;
}

Optimizer::Optimizer(std::string name, std::vector<ParamGroup> groups, double lr, double weight_decay)
    : name_(std::move(name)) {
  TG_CHECK(!groups.empty(), ValueError, "{}: needs at least one parameter group", name_);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    Group resolved{std::move(groups[g].params), groups[g].lr.value_or(lr),
                   groups[g].weight_decay.value_or(weight_decay)};
    check_lr(name_, resolved.lr);
    TG_CHECK(resolved.weight_decay >= 0.0, ValueError, "{}: weight_decay of group {} must be >= 0, got {}", name_, g,
             resolved.weight_decay);
    for (const Tensor& p : resolved.params) {
      const std::size_t i = params_.size();
      TG_CHECK(p.defined() && p.is_floating_point() && p.is_contiguous(), ValueError,
               "{}: parameter {} must be a defined, contiguous floating-point tensor", name_, i);
      TG_CHECK(p.is_leaf(), ValueError, "{}: parameter {} is not a leaf tensor", name_, i);
      // Two updates per step of one tensor would be a silent bug (PyTorch rejects it too).
      for (std::size_t j = 0; j < i; ++j)
        TG_CHECK(!params_[j].is_same(p), ValueError, "{}: parameter {} is parameter {} again", name_, i, j);
      params_.push_back(p);
    }
    groups_.push_back(std::move(resolved));
  }
  state_.resize(params_.size());
}

void Optimizer::set_lr(double lr) {
  check_lr(name_, lr);
  for (Group& g : groups_) g.lr = lr;
}

void Optimizer::set_lr(std::size_t group, double lr) {
  TG_CHECK(group < groups_.size(), IndexError, "{}: group {} out of range ({} groups)", name_, group, groups_.size());
  check_lr(name_, lr);
  groups_[group].lr = lr;
}

void Optimizer::zero_grad() {
  for (const auto& p : params_) p.zero_grad();
}

void Optimizer::step() {
  std::size_t index = 0;
  for (const Group& group : groups_) {
    for (const Tensor& p : group.params) {
      const Tensor grad = p.grad();
      if (grad.defined()) {
        update(index, p, contiguous_gradient(p, grad), group);
        mark_written(p);
        for (const auto& [key, t] : state_[index]) mark_written(t);
      }
      ++index;
    }
  }
}

void Optimizer::for_element_ranges(std::int64_t n, const std::function<void(std::int64_t, std::int64_t)>& body) {
  constexpr std::int64_t kElementsPerTask = 1 << 15;
  parallel_for(n, kElementsPerTask, body);
}

Tensor& Optimizer::state(std::size_t i, const std::string& key, const Tensor& like) {
  auto& slot = state_[i][key];
  if (!slot.defined()) slot = zeros(like.shape(), {.dtype = like.dtype()});
  return slot;
}

std::int64_t Optimizer::next_step(std::size_t i) {
  auto& slot = state_[i]["step"];
  if (!slot.defined()) slot = zeros({}, {.dtype = DType::Int64});
  return ++*slot.data<std::int64_t>();
}

std::vector<NamedTensor> Optimizer::state_dict() const {
  std::vector<NamedTensor> out;
  // One group keeps the format of the checkpoints written before groups existed.
  if (groups_.size() == 1)
    out.emplace_back("lr", scalar_tensor(groups_[0].lr, {.dtype = DType::Float64}));
  else
    for (std::size_t g = 0; g < groups_.size(); ++g)
      out.emplace_back(fmt::format("param_groups.{}.lr", g), scalar_tensor(groups_[g].lr, {.dtype = DType::Float64}));
  for (std::size_t i = 0; i < state_.size(); ++i)
    for (const auto& [key, t] : state_[i]) out.emplace_back(fmt::format("state.{}.{}", i, key), t);
  return out;
}

void Optimizer::load_state_dict(const std::vector<NamedTensor>& state) {
  std::vector<std::string> problems;
  const auto keys = state_keys();
  std::vector<double> lrs;
  for (const Group& g : groups_) lrs.push_back(g.lr);
  std::vector<std::map<std::string, Tensor>> next(params_.size());
  for (const auto& [name, t] : state) {
    std::size_t index = 0;
    int consumed = 0;
    const bool group_lr = std::sscanf(name.c_str(), "param_groups.%zu.lr%n", &index, &consumed) == 1 &&
                          static_cast<std::size_t>(consumed) == name.size();
    if (name == "lr" || group_lr) {
      if (name == "lr" && groups_.size() != 1)
        problems.push_back(fmt::format("'lr' holds one group's rate, but {} has {} groups", name_, groups_.size()));
      else if (index >= groups_.size())
        problems.push_back(fmt::format("'{}': group {} out of range ({} groups)", name, index, groups_.size()));
      else if (t.numel() != 1 || t.dtype() != DType::Float64)
        problems.push_back(fmt::format("'{}' must be one float64 value", name));
      else
        lrs[index] = t.item();
      continue;
    }
    char key[64] = {};
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
  for (std::size_t g = 0; g < groups_.size(); ++g) groups_[g].lr = lrs[g];
  state_ = std::move(next);
}

// ---- SGD ----

SGD::SGD(std::vector<Tensor> parameters, SGDOptions options) : SGD(one_group(std::move(parameters)), options) {}

SGD::SGD(std::vector<ParamGroup> groups, SGDOptions options)
    : Optimizer("SGD", std::move(groups), options.lr, options.weight_decay), options_(options) {
  TG_CHECK(options.momentum >= 0.0 && options.weight_decay >= 0.0, ValueError,
           "SGD: momentum and weight_decay must be >= 0, got {} and {}", options.momentum, options.weight_decay);
  TG_CHECK(!options.nesterov || (options.momentum > 0.0 && options.dampening == 0.0), ValueError,
           "SGD: Nesterov momentum needs momentum > 0 and dampening 0");
}

void SGD::update(std::size_t index, const Tensor& p, const Tensor& g, const Group& group) {
  const double lr = group.lr, mu = options_.momentum, wd = group.weight_decay, damp = options_.dampening;
  const bool first = mu != 0.0 && !has_state(index, "momentum_buffer");
  Tensor buf = mu != 0.0 ? state(index, "momentum_buffer", p) : Tensor();
  const SgdStep step{.lr = lr, .wd = wd, .mu = mu, .keep = 1.0 - damp, .first = first, .nesterov = options_.nesterov};
  visit_floating(p.dtype(), "SGD", [&](auto tag) {
    using T = decltype(tag);
    T* const pp = p.data<T>();
    const T* const pg = g.data<T>();
    T* const pb = buf.defined() ? buf.data<T>() : nullptr;
    for_element_ranges(p.numel(), [&](std::int64_t begin, std::int64_t end) {
      sgd_update_range(pp + begin, pg + begin, pb != nullptr ? pb + begin : nullptr, end - begin, step);
    });
  });
}

// ---- Adam / AdamW ----

Adam::Adam(std::vector<Tensor> parameters, AdamOptions options) : Adam(one_group(std::move(parameters)), options) {}

Adam::Adam(std::vector<ParamGroup> groups, AdamOptions options) : Adam("Adam", std::move(groups), options, false) {}

Adam::Adam(std::string name, std::vector<ParamGroup> groups, AdamOptions options, bool decoupled)
    : Optimizer(std::move(name), std::move(groups), options.lr, options.weight_decay),
      options_(options),
      decoupled_(decoupled) {
  TG_CHECK(options.beta1 >= 0.0 && options.beta1 < 1.0 && options.beta2 >= 0.0 && options.beta2 < 1.0, ValueError,
           "{}: betas must be in [0, 1), got ({}, {})", this->name(), options.beta1, options.beta2);
  TG_CHECK(options.eps >= 0.0 && options.weight_decay >= 0.0, ValueError,
           "{}: eps and weight_decay must be >= 0, got {} and {}", this->name(), options.eps, options.weight_decay);
}

AdamW::AdamW(std::vector<Tensor> parameters, AdamOptions options) : AdamW(one_group(std::move(parameters)), options) {}

AdamW::AdamW(std::vector<ParamGroup> groups, AdamOptions options) : Adam("AdamW", std::move(groups), options, true) {}

void Adam::update(std::size_t index, const Tensor& p, const Tensor& g, const Group& group) {
  const double lr = group.lr, b1 = options_.beta1, b2 = options_.beta2, eps = options_.eps;
  const double wd = group.weight_decay;
  const std::int64_t t = next_step(index);
  const Tensor m = state(index, "exp_avg", p);
  const Tensor v = state(index, "exp_avg_sq", p);
  const double bc1 = 1.0 - std::pow(b1, static_cast<double>(t));
  const double bc2_sqrt = std::sqrt(1.0 - std::pow(b2, static_cast<double>(t)));
  const AdamStep step{
      .lr = lr, .wd = wd, .b1 = b1, .b2 = b2, .eps = eps, .bc1 = bc1, .bc2_sqrt = bc2_sqrt, .decoupled = decoupled_};
  visit_floating(p.dtype(), name(), [&](auto tag) {
    using T = decltype(tag);
    T* const pp = p.data<T>();
    const T* const pg = g.data<T>();
    T* const pm = m.data<T>();
    T* const pv = v.data<T>();
    for_element_ranges(p.numel(), [&](std::int64_t begin, std::int64_t end) {
      adam_update_range(pp + begin, pg + begin, pm + begin, pv + begin, end - begin, step);
    });
  });
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
      mark_written(c);
      if (!c.is_same(g)) p.set_grad(c);
    }
  }
  return norm;
}

}  // namespace tg::nn
