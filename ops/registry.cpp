#include "ops/registry.hpp"

#include <algorithm>
#include <mutex>
#include <shared_mutex>

#include "autograd/anomaly.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/tape.hpp"

namespace tg {

// ---- ForwardContext ----

ForwardContext::ForwardContext(const Op& op, std::span<const Tensor> inputs, bool recording)
    : op_(op), inputs_(inputs), recording_(recording) {}

const std::string& ForwardContext::op_name() const { return op_.name; }

const Tensor& ForwardContext::input(std::size_t i) const {
  TG_CHECK(i < inputs_.size(), IndexError, "{}: input {} requested but {} given", op_.name, i, inputs_.size());
  return inputs_[i];
}

bool ForwardContext::needs_input_grad(std::size_t i) const {
  return recording_ && i < inputs_.size() && inputs_[i].defined() && inputs_[i].requires_grad();
}

void ForwardContext::save(std::string_view name, const Tensor& t) {
  if (!recording_) return;
  const bool taken = std::any_of(saved_.begin(), saved_.end(), [&](const SavedTensor& s) { return s.name == name; });
  TG_CHECK(!taken, AutogradError, "{}: the forward saves a tensor named '{}' twice", op_.name, name);
  const auto input = std::find_if(inputs_.begin(), inputs_.end(), [&](const Tensor& in) { return in.is_same(t); });
  saved_.push_back({.name = std::string(name),
                    .tensor = t,
                    .input = input == inputs_.end()
                                 ? std::nullopt
                                 : std::optional(static_cast<std::size_t>(input - inputs_.begin()))});
}

// ---- OpSample ----

bool detail::any_empty(std::span<const Tensor> inputs) {
  return std::any_of(inputs.begin(), inputs.end(), [](const Tensor& t) { return t.defined() && t.numel() == 0; });
}

// ---- OpRegistry ----

struct OpRegistry::State {
  mutable std::shared_mutex mutex;
  std::vector<std::shared_ptr<const Op>> ops;  // shared with the handles
};

OpRegistry::OpRegistry() : state_(std::make_unique<State>()) {}
OpRegistry::~OpRegistry() = default;

void check_op_definition(const Op& op) {
  TG_CHECK(!op.name.empty(), ValueError, "register_op: an op needs a name");
  TG_CHECK(static_cast<bool>(op.forward), ValueError, "register_op: op '{}' has no forward", op.name);
}

std::shared_ptr<const Op> OpRegistry::add(std::shared_ptr<const Op> op) {
  check_op_definition(*op);
  std::unique_lock lock(state_->mutex);
  const bool duplicate = std::any_of(state_->ops.begin(), state_->ops.end(),
                                     [&](const std::shared_ptr<const Op>& other) { return other->name == op->name; });
  TG_CHECK(!duplicate, ValueError, "register_op: an op named '{}' is already registered", op->name);
  state_->ops.push_back(op);
  return op;
}

const Op* OpRegistry::find(std::string_view name) const {
  std::shared_lock lock(state_->mutex);
  for (const std::shared_ptr<const Op>& op : state_->ops) {
    if (op->name == name) return op.get();
  }
  return nullptr;
}

const Op& OpRegistry::get(std::string_view name) const {
  const Op* op = find(name);
  TG_CHECK(op != nullptr, ValueError, "registry: no op named '{}'", name);
  return *op;
}

std::vector<const Op*> OpRegistry::ops() const {
  std::shared_lock lock(state_->mutex);
  std::vector<const Op*> out;
  for (const std::shared_ptr<const Op>& op : state_->ops) out.push_back(op.get());
  return out;
}

// ---- dispatch ----

Tensor call(const Op& op, std::vector<Tensor> inputs, std::any attrs) {
  TG_CHECK(op.arity < 0 || static_cast<int>(inputs.size()) == op.arity, ValueError, "{}: expected {} inputs, got {}",
           op.name, op.arity, inputs.size());
  const bool recording = op.backward && is_grad_enabled() && autograd::any_requires_grad(inputs);
  ForwardContext ctx(op, inputs, recording);
  Tensor output;
  {
    NoGradGuard no_grad;  // the forward's internal ops are not recorded; the op is one node
    output = op.forward(ctx, attrs);
  }
  TG_CHECK(output.defined(), ValueError, "{}: forward returned an undefined tensor", op.name);
  if (recording && output.is_floating_point()) {
    autograd::record(op.name, inputs, output, ctx.take_saved(), ctx.saves_output(), std::move(attrs), op.backward);
    if (is_anomaly_enabled()) autograd::check_forward_anomaly(inputs, output);
  } else if (output.impl().autograd != nullptr) {
    output = raw::alias(output);  // e.g. a forward that returned an input unchanged
  }
  return output;
}

}  // namespace tg
