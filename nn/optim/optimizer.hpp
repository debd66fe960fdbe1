// Optimizers over a list of parameters (leaf tensors). step() updates each parameter's
// storage in place (never recorded by autograd, never replacing the tensor object), so
// every handle to a parameter sees the new values. Per-parameter state (momentum
// buffers, Adam moments, step counts) is exposed as named tensors for checkpoints.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nn/modules/module.hpp"

namespace tg::nn {

class Optimizer {
 public:
  Optimizer(std::string name, std::vector<Tensor> parameters, double lr);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  virtual void step() = 0;  // parameters without a gradient are skipped
  void zero_grad();

  double lr() const { return lr_; }
  void set_lr(double lr);
  const std::vector<Tensor>& parameters() const { return params_; }
  const std::string& name() const { return name_; }

  // "lr" plus "state.<i>.<key>" for each parameter i with state.
  std::vector<NamedTensor> state_dict() const;
  // Checks every entry (known name, index, shape, dtype) before changing anything; throws
  // ValueError listing all problems.
  void load_state_dict(const std::vector<NamedTensor>& state);

 protected:
  // The state tensor `key` of parameter i, created zero-filled (shape `like`) on first use.
  Tensor& state(std::size_t i, const std::string& key, const Tensor& like);
  bool has_state(std::size_t i, const std::string& key) const { return state_[i].count(key) != 0; }
  // Keys a parameter's state may hold (for validation on load).
  virtual std::vector<std::string> state_keys() const = 0;

 private:
  std::string name_;
  std::vector<Tensor> params_;
  double lr_;
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
  void step() override;

 protected:
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
  void step() override;

 protected:
  Adam(std::string name, std::vector<Tensor> parameters, AdamOptions options, bool decoupled);
  std::vector<std::string> state_keys() const override { return {"step", "exp_avg", "exp_avg_sq"}; }

 private:
  AdamOptions options_;
  bool decoupled_;
};

class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> parameters, AdamOptions options = {.weight_decay = 0.01});
};

// Scales all gradients so their global L2 norm is at most max_norm (by max_norm / (norm +
// 1e-6), as PyTorch); returns the norm before clipping (accumulated in float64).
double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm);

}  // namespace tg::nn
