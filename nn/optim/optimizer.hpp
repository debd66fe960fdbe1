// Optimizers over parameters (leaf tensors), given as one list or as parameter groups with
// their own learning rate and weight decay (as PyTorch). step() updates each parameter's
// storage in place (never recorded by autograd, never replacing the tensor object), so
// every handle to a parameter sees the new values. Per-parameter state (momentum
// buffers, Adam moments, step counts) is exposed as named tensors for checkpoints.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nn/modules/module.hpp"

namespace tg::nn {

// Parameters that share settings; an unset setting takes the optimizer's value.
struct ParamGroup {
  std::vector<Tensor> params{};
  std::optional<double> lr{};
  std::optional<double> weight_decay{};
};

// Two groups for the usual recipe of decaying only weight matrices and kernels: the
// parameters of `module` with 2 or more dims get `weight_decay`, those with at most one
// (biases, normalisation weights) get none. Empty groups are left out.
std::vector<ParamGroup> param_groups_no_decay_on_biases_and_norms(const Module& module, double weight_decay);

class Optimizer {
 public:
  // A group with its settings resolved against the optimizer's defaults.
  struct Group {
    std::vector<Tensor> params;
    double lr;
    double weight_decay;
  };

  Optimizer(std::string name, std::vector<ParamGroup> groups, double lr, double weight_decay);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  void step();  // parameters without a gradient are skipped
  void zero_grad();

  double lr() const { return groups_.front().lr; }  // the first group's
  void set_lr(double lr);                           // every group's
  void set_lr(std::size_t group, double lr);
  const std::vector<Group>& param_groups() const { return groups_; }
  // Every group's parameters in order; state index i refers to parameters()[i].
  const std::vector<Tensor>& parameters() const { return params_; }
  const std::string& name() const { return name_; }

  // "lr" (one group) or "param_groups.<g>.lr" (several), plus "state.<i>.<key>" for each
  // parameter i with state.
  std::vector<NamedTensor> state_dict() const;
  // Checks every entry (known name, index, shape, dtype) before changing anything; throws
  // ValueError listing all problems.
  void load_state_dict(const std::vector<NamedTensor>& state);

 protected:
  // Updates parameter `index` in place from its gradient (contiguous, in the parameter's dtype).
  virtual void update(std::size_t index, const Tensor& param, const Tensor& grad, const Group& group) = 0;
  // The state tensor `key` of parameter i, created zero-filled (shape `like`) on first use.
  Tensor& state(std::size_t i, const std::string& key, const Tensor& like);
  bool has_state(std::size_t i, const std::string& key) const { return state_[i].count(key) != 0; }
  // Increments parameter i's int64 "step" state (created at 0) and returns the new count.
  std::int64_t next_step(std::size_t i);
  // Keys a parameter's state may hold (for validation on load).
  virtual std::vector<std::string> state_keys() const = 0;
  // Runs body(begin, end) over a parameter's n elements, in ranges shared out among threads:
  // an update touches each element once and nothing else, so the bits do not depend on the
  // threads. A body that runs one loop over plain pointers, its settings by value, lets the
  // compiler hoist the loop's branches and vectorise it; reading them through a lambda's
  // captures kept Adam's loop scalar (4x slower).
  static void for_element_ranges(std::int64_t n, const std::function<void(std::int64_t, std::int64_t)>& body);

 private:
  std::string name_;
  std::vector<Group> groups_;
  std::vector<Tensor> params_;
  std::vector<std::map<std::string, Tensor>> state_;
};

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

// PyTorch's SGD: g = grad + wd p; b = g (first step) or momentum b + (1 - dampening) g;
// g = g + momentum b (Nesterov) or b; p -= lr g.
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> parameters, SGDOptions options = {});
  SGD(std::vector<ParamGroup> groups, SGDOptions options = {});

 protected:
  void update(std::size_t index, const Tensor& param, const Tensor& grad, const Group& group) override;
  std::vector<std::string> state_keys() const override { return {"momentum_buffer"}; }

 private:
  SGDOptions options_;
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // Adam: L2 added to the gradient; AdamW: decoupled (default 0.01)
};

// Adam (Kingma & Ba), in PyTorch's form: m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). With decoupled = true
// (AdamW) the weight decay is p *= 1 - lr wd before the update instead of L2.
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> parameters, AdamOptions options = {});
  Adam(std::vector<ParamGroup> groups, AdamOptions options = {});

 protected:
  Adam(std::string name, std::vector<ParamGroup> groups, AdamOptions options, bool decoupled);
  void update(std::size_t index, const Tensor& param, const Tensor& grad, const Group& group) override;
  std::vector<std::string> state_keys() const override { return {"step", "exp_avg", "exp_avg_sq"}; }

 private:
  AdamOptions options_;
  bool decoupled_;
};

class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> parameters, AdamOptions options = {.weight_decay = 0.01});
  AdamW(std::vector<ParamGroup> groups, AdamOptions options = {.weight_decay = 0.01});
};

// Scales all gradients so their global L2 norm is at most max_norm (by max_norm / (norm +
// 1e-6), as PyTorch); returns the norm before clipping (accumulated in float64).
double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm);

}  // namespace tg::nn
