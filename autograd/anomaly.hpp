// Anomaly detection: find where a NaN or an infinity first appears, forward or backward.
//
// Off by default. While it is on (process-wide, like torch.autograd.detect_anomaly):
//   forward   every recorded op checks its output; a non-finite value throws AnomalyError
//             naming the op, its sequence (recording order), its label, whether its inputs
//             were already non-finite, and the recorded ops that led to it;
//   backward  a non-finite gradient throws at the first node that returns one, naming it the
//             same way and saying whether what it computed from (the gradient of its output,
//             its saved tensors) was finite, i.e. whether the rule itself produced it.
// Labels name where an op was recorded: AnomalyLabel scopes nest ("features.3.conv"), and
// nn::Module labels the ops of each child module with its name while anomaly mode is on.
// When off, the cost is one relaxed atomic load per recorded op, per module call and per
// backward.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "tensor/tensor.hpp"

namespace tg {

struct Node;

class AnomalyError : public AutogradError {
 public:
  using AutogradError::AutogradError;
};

bool is_anomaly_enabled();
void set_detect_anomaly(bool enabled);  // process-wide: affects ops recorded on every thread

// Turns anomaly mode on (or off) for its lifetime and restores the previous setting.
class DetectAnomalyGuard {
 public:
  explicit DetectAnomalyGuard(bool enabled = true);
  ~DetectAnomalyGuard();
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
};

// Names the ops recorded in its scope (this thread), for anomaly reports. Scopes nest with
// '.', as module paths do: AnomalyLabel a("features"); AnomalyLabel b("3"); -> "features.3".
// Nodes keep the label only when recorded in anomaly mode.
class AnomalyLabel {
 public:
  explicit AnomalyLabel(std::string_view label);
  ~AnomalyLabel();
  AnomalyLabel(const AnomalyLabel&) = delete;
  AnomalyLabel& operator=(const AnomalyLabel&) = delete;

 private:
  std::size_t outer_size_;  // the enclosing label's length, restored on exit
};

const std::string& current_anomaly_label();  // "" outside any AnomalyLabel scope

namespace autograd {

// Throws AnomalyError if `output`, just recorded by `node`, holds a non-finite value.
void check_forward_anomaly(std::span<const Tensor> inputs, const Tensor& output);
// Throws AnomalyError if the gradient about to enter `node`'s backward, a sum of checked
// gradients, is non-finite.
void check_gradient_into(const Node& node, const Tensor& grad_output);
// Throws AnomalyError if `node`'s backward returned a non-finite gradient.
void check_gradients_from(const Node& node, std::span<const Tensor> grads);
// Throws AnomalyError if a leaf's new gradient, `earlier` (its .grad(), possibly undefined)
// plus the checked gradients of this backward, is non-finite.
void check_leaf_gradient(const Tensor& earlier, const Tensor& sum);
// Throws AnomalyError if the gradient given for root `index` is non-finite.
void check_root_gradient(std::size_t index, const Tensor& grad);

}  // namespace autograd
}  // namespace tg
